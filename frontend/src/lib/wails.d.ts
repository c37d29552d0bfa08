// Globals that the Wails v2 runtime injects into the page (/wails/ipc.js and
// /wails/runtime.js). src/lib/api.ts is the only module that touches them.
import type {
  AboutInfo,
  Appearance,
  ActiveReply,
  AppInfo,
  CatalogView,
  Conversation,
  Draft,
  ConversationDetail,
  DocumentDetail,
  DocumentInfo,
  DownloadRef,
  IngestEvent,
  IngestJob,
  ModelEntry,
  ModelInfo,
  ModelSettings,
  ModelSettingsView,
  SavedSettings,
  ModelState,
  Passage,
  PassageSource,
  SearchResults,
  ImportResult,
  RepairResult,
  SendResult,
  Settings,
  StartupState,
  SummaryOutline,
  SummaryStyle,
  SummaryView,
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
  SetInstructions(id: number, text: string): Promise<Conversation>;
  SaveDraft(id: number, text: string): Promise<void>;
  Drafts(): Promise<Draft[]>;
  DeleteConversation(id: number): Promise<void>;
  SendMessage(conversationId: number, text: string): Promise<SendResult>;
  StopGeneration(conversationId: number): Promise<void>;
  ActiveReply(conversationId: number): Promise<ActiveReply | null>;
  GetSettings(): Promise<Settings>;
  SaveSettings(settings: Settings): Promise<Settings>;
  GetModelSettings(path: string): Promise<ModelSettingsView>;
  SaveModelSettings(path: string, settings: ModelSettings): Promise<ModelSettingsView>;
  SaveAllSettings(settings: Settings, path: string, model: ModelSettings): Promise<SavedSettings>;
  ResetModelSettings(path: string): Promise<ModelSettingsView>;
  PickDocuments(): Promise<string[]>;
  IngestFiles(paths: string[]): Promise<IngestJob>;
  CancelIngest(job: number): Promise<void>;
  IngestState(job: number): Promise<IngestEvent[]>;
  ListDocuments(): Promise<DocumentInfo[]>;
  GetDocument(id: number): Promise<DocumentDetail>;
  DeleteDocument(id: number): Promise<void>;
  SummarizeDocument(id: number, style: SummaryStyle): Promise<SummaryView>;
  StopSummary(documentId: number): Promise<void>;
  SummarizeAgain(id: number, style: SummaryStyle, force: boolean): Promise<SummaryView>;
  GetSummaryOutline(summaryId: number): Promise<SummaryOutline>;
  GetPassage(documentId: number, firstChunk: number, lastChunk: number): Promise<Passage>;
  GetCitedPassage(documentId: number, marker: string): Promise<Passage>;
  GetPassageSource(documentId: number, firstChunk: number, lastChunk: number): Promise<PassageSource>;
  AskDocument(documentId: number, text: string): Promise<SendResult>;
  RegenerateMessage(messageId: number): Promise<SendResult>;
  EditMessage(messageId: number, text: string): Promise<SendResult>;
  ContinueMessage(messageId: number): Promise<SendResult>;
  SwitchVersion(messageId: number): Promise<ConversationDetail>;
  DeleteMessage(messageId: number): Promise<ConversationDetail>;
  PinConversation(id: number, pinned: boolean): Promise<Conversation>;
  Search(query: string): Promise<SearchResults>;
  ExportConversation(id: number, format: string): Promise<string>;
  ExportConversationTo(id: number, format: string, path: string): Promise<void>;
  ExportAll(): Promise<string>;
  ExportAllTo(path: string): Promise<void>;
  ExportSummary(summaryId: number): Promise<string>;
  ImportChooseFile(): Promise<ImportResult | null>;
  ImportPath(path: string): Promise<ImportResult | null>;
  About(): Promise<AboutInfo>;
  TakeOpenedFiles(): Promise<string[]>;
  ReadyToClose(): Promise<void>;
  GetAppearance(): Promise<Appearance>;
  SaveAppearance(appearance: Appearance): Promise<Appearance>;
  ModelCatalog(): Promise<CatalogView>;
  StartDownload(id: string): Promise<DownloadRef>;
  PauseDownload(id: string): Promise<void>;
  ResumeDownload(id: string): Promise<DownloadRef>;
  CancelDownload(id: string): Promise<void>;
  StartupState(): Promise<StartupState>;
  StartFresh(): Promise<RepairResult>;
  RecoverDatabase(): Promise<RepairResult>;
  // Settings → Engines (app/engines.go)
  ListEndpoints(): Promise<import('./types').Endpoint[]>;
  SaveEndpoint(input: import('./types').EndpointInput): Promise<import('./types').Endpoint>;
  DeleteEndpoint(id: string): Promise<void>;
  TestEndpoint(input: import('./types').EndpointInput): Promise<import('./types').EndpointTest>;
  ListEndpointModels(): Promise<import('./types').EndpointModel[]>;
  StartServing(port: number): Promise<import('./types').ServeState>;
  StopServing(): Promise<void>;
  ServingState(): Promise<import('./types').ServeState>;
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
