/**
 * Window layout state: the sidebar and the shortcut list.
 *
 * A wide window shows the sidebar beside the chat unless the person hid it.
 * A narrow one (below NARROW_QUERY's width) has no room for both: the sidebar
 * becomes a drawer over the content, closed until ☰ (or Ctrl+B) opens it and
 * closed again by a choice made in it, Escape or a click beside it.
 */
export const NARROW_QUERY = '(max-width: 959px)';

export class UiStore {
  /** Wide windows: the person hid the sidebar. Kept while the window is narrow. */
  sidebarHidden = $state(false);
  /** Narrow windows: the sidebar drawer is open. */
  drawerOpen = $state(false);
  narrow = $state(false);
  shortcutsOpen = $state(false);

  /** Whether the sidebar is on screen, beside the content or over it. */
  get sidebarShown(): boolean {
    return this.narrow ? this.drawerOpen : !this.sidebarHidden;
  }

  toggleSidebar(): void {
    if (this.narrow) this.drawerOpen = !this.drawerOpen;
    else this.sidebarHidden = !this.sidebarHidden;
  }

  /** A conversation, a document or a new chat chosen in the drawer: it has done its job. */
  closeDrawer(): void {
    this.drawerOpen = false;
  }

  /** Follows the window's width; returns the unsubscribe. */
  watchWidth(win: Window = window): () => void {
    if (typeof win.matchMedia !== 'function') return () => {};
    const mq = win.matchMedia(NARROW_QUERY);
    const update = () => {
      this.narrow = mq.matches;
      if (!mq.matches) this.drawerOpen = false;
    };
    update();
    mq.addEventListener('change', update);
    return () => mq.removeEventListener('change', update);
  }
}

export const ui = new UiStore();
