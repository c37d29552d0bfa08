// Globals that the Wails v2 runtime injects into the page (/wails/ipc.js and
// /wails/runtime.js). src/lib/api.ts is the only module that touches them.
import type {
  ActiveReply,
  AppInfo,
  Conversation,
  ConversationDetail,
  ModelEntry,
  ModelInfo,
  ModelState,
  SendResult,
  Settings,
} from './types';

export interface WailsAppBindings {
  AppInfo(): Promise<AppInfo>;
  ModelState(): Promise<ModelState>;
  ListModels(): Promise<ModelEntry[]>;
  ChooseModelFile(): Promise<string>;
  LoadModel(path: string): Promise<ModelInfo>;
  ListConversations(): Promise<Conversation[]>;
  CreateConversation(): Promise<Conversation>;
  GetConversation(id: number): Promise<ConversationDetail>;
  RenameConversation(id: number, title: string): Promise<void>;
  DeleteConversation(id: number): Promise<void>;
  SendMessage(conversationId: number, text: string): Promise<SendResult>;
  StopGeneration(conversationId: number): Promise<void>;
  ActiveReply(conversationId: number): Promise<ActiveReply | null>;
  GetSettings(): Promise<Settings>;
  SaveSettings(settings: Settings): Promise<Settings>;
}

export interface WailsRuntime {
  EventsOn(eventName: string, callback: (...data: any[]) => void): (() => void) | void;
  EventsOff(eventName: string, ...additionalEventNames: string[]): void;
  OnFileDrop(callback: (x: number, y: number, paths: string[]) => void, useDropTarget: boolean): void;
  OnFileDropOff(): void;
  ClipboardSetText?(text: string): Promise<boolean>;
  BrowserOpenURL?(url: string): void;
}

declare global {
  interface Window {
    go?: { app?: { App?: Partial<WailsAppBindings> } };
    runtime?: Partial<WailsRuntime>;
  }
}
