/** One reported figure: values per run for each side, medians, ratio ours/NUT. */
import { median } from './stats.mjs';

const round = (v) => (v === null || !Number.isFinite(v) ? v : Number(v.toPrecision(4)));

export class Row {
  /**
   * @param {string} id stable key in latest.json
   * @param {string} figure human label
   * @param {string} unit
   * @param {'lower'|'higher'} better
   */
  constructor(id, figure, unit, better) {
    Object.assign(this, { id, figure, unit, better, nutRuns: [], oursRuns: [], nutNa: null, oursNa: null });
  }
  add(side, v) {
    (side === 'nut' ? this.nutRuns : this.oursRuns).push(v);
  }
  na(side, reason) {
    if (side === 'nut') this.nutNa = reason;
    else this.oursNa = reason;
  }
  toJSON() {
    const nut = this.nutRuns.length ? median(this.nutRuns) : null;
    const ours = this.oursRuns.length ? median(this.oursRuns) : null;
    const ratio = nut && ours !== null && Number.isFinite(nut) && Number.isFinite(ours) && nut !== 0 ? ours / nut : null;
    // Within 3 % either way is called even: run-to-run noise is larger than that.
    let verdict = null;
    if (ratio !== null) {
      const gain = this.better === 'lower' ? 1 / ratio : ratio;
      verdict = gain > 1.03 ? 'ours ahead' : gain < 1 / 1.03 ? 'NUT ahead' : 'even';
    }
    return {
      id: this.id,
      figure: this.figure,
      unit: this.unit,
      better: this.better,
      ours: round(ours),
      nut: round(nut),
      ratio: round(ratio),
      verdict,
      oursRuns: this.oursRuns.map(round),
      nutRuns: this.nutRuns.map(round),
      ...(this.oursNa && ours === null ? { oursNa: this.oursNa } : {}),
      ...(this.nutNa && nut === null ? { nutNa: this.nutNa } : {}),
    };
  }
}

/** A keyed collection of rows in creation order. */
export class Rows {
  constructor() {
    this.map = new Map();
  }
  get(id, figure, unit, better) {
    if (!this.map.has(id)) this.map.set(id, new Row(id, figure, unit, better));
    return this.map.get(id);
  }
  naAll(side, reason) {
    for (const r of this.map.values()) r.na(side, reason);
  }
  list() {
    return [...this.map.values()];
  }
}
