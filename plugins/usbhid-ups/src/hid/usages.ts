/** Usage names and path strings (libhid.c string_to_path / path_to_string). */

/** Ordered (name, code) pairs: the subdriver's vendor usages first, then the generic ones. */
export class UsageTable {
  private readonly byName = new Map<string, number>();
  private readonly byCode = new Map<number, string>();

  constructor(pairs: ReadonlyArray<readonly [string, string]>) {
    for (const [name, hex] of pairs) {
      const code = Number.parseInt(hex, 16) >>> 0;
      const key = name.toLowerCase();
      if (!this.byName.has(key)) this.byName.set(key, code);
      if (!this.byCode.has(code)) this.byCode.set(code, name);
    }
  }

  usage(name: string): number | undefined {
    return this.byName.get(name.toLowerCase());
  }

  name(code: number): string | undefined {
    return this.byCode.get(code >>> 0);
  }

  /** Tokens that resolve to nothing are left out, as NUT does (the path gets shorter). */
  parsePath(path: string): number[] {
    const nodes: number[] = [];
    for (const token of path.split('.')) {
      if (!token) continue;
      const u = this.usage(token);
      if (u !== undefined) nodes.push(u);
      else if (/^[0-9a-fA-F]+$/.test(token)) {
        const v = Number.parseInt(token, 16);
        if (v <= 0xffffffff) nodes.push(v >>> 0);
      } else if (/^[[\]0-9]+$/.test(token)) {
        const m = /^.([0-9]*)/.exec(token);
        nodes.push((0x00ff0000 + Number.parseInt(m?.[1] || '0', 10)) >>> 0);
      }
    }
    return nodes;
  }

  formatPath(nodes: readonly number[]): string {
    return nodes
      .map((n) => {
        const name = this.name(n);
        if (name !== undefined) return name;
        if ((n & 0xffff0000) >>> 0 === 0x00ff0000) return `[${n & 0xffff}]`;
        return (n >>> 0).toString(16).padStart(8, '0');
      })
      .join('.');
  }
}
