/** Mode selection of NUT 2.8.0's dummy-ups (upsdrv_initups). */
export type DummyMode = 'repeater' | 'dummy-loop' | 'dummy-once';

export interface ModeChoice {
  mode: DummyMode;
  /** Published as driver.parameter.mode ('dummy' for the legacy default). */
  published: 'repeater' | 'dummy-loop' | 'dummy-once' | 'dummy';
}

/**
 * `mode` option first, then the port: '@' means repeater (only without a mode option),
 * *.seq loops, *.dev is read once, anything else loops as "dummy". An unknown mode value
 * is ignored, as 2.8.0's (never true) validity check lets it through.
 */
export function chooseMode(modeOption: string | undefined, port: string): ModeChoice {
  if ((modeOption === undefined && port.includes('@')) || modeOption === 'repeater') {
    return { mode: 'repeater', published: 'repeater' };
  }
  if (modeOption === 'dummy-loop' || modeOption === 'dummy') return { mode: 'dummy-loop', published: 'dummy-loop' };
  if (modeOption === 'dummy-once') return { mode: 'dummy-once', published: 'dummy-once' };
  if (port.endsWith('.seq')) return { mode: 'dummy-loop', published: 'dummy-loop' };
  if (port.endsWith('.dev')) return { mode: 'dummy-once', published: 'dummy-once' };
  return { mode: 'dummy-loop', published: 'dummy' };
}
