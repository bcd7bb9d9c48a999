/**
 * Serialised user-list pages by their validator (`userListTag`): a page whose tag has not
 * changed is byte for byte the page it was, so a repeated read — a client polling without a
 * cache of its own, the first read by a second desk — is answered from memory after the
 * one indexed statement that computes the tag. Nothing is ever invalidated: any change
 * gives a new tag, and the old entry ages out. Per process, bounded by bytes (string
 * length), least recently used out first; `maxBytes` 0 keeps nothing.
 */
export class PageCache {
  private readonly pages = new Map<string, string>();
  private bytes = 0;
  constructor(private readonly maxBytes: number) {}

  get(tag: string): string | undefined {
    const body = this.pages.get(tag);
    if (body !== undefined) {
      this.pages.delete(tag);
      this.pages.set(tag, body);
    }
    return body;
  }

  set(tag: string, body: string): void {
    if (body.length > this.maxBytes) return;
    const old = this.pages.get(tag);
    if (old !== undefined) {
      this.pages.delete(tag);
      this.bytes -= old.length;
    }
    this.pages.set(tag, body);
    this.bytes += body.length;
    for (const [k, v] of this.pages) {
      if (this.bytes <= this.maxBytes) break;
      this.pages.delete(k);
      this.bytes -= v.length;
    }
  }

  get size(): { pages: number; bytes: number } {
    return { pages: this.pages.size, bytes: this.bytes };
  }
}
