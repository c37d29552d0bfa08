/** Window layout state: the sidebar and the shortcut list. */
export class UiStore {
  sidebarHidden = $state(false);
  shortcutsOpen = $state(false);

  toggleSidebar(): void {
    this.sidebarHidden = !this.sidebarHidden;
  }
}

export const ui = new UiStore();
