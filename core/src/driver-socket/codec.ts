/**
 * Text form of the driver socket protocol (reference/sock-protocol.md): DstateOps to lines
 * and back. Unlike NUT 2.8.0 we escape values in live updates too (`\` `"` `#`), which real
 * upsd reads correctly.
 */
import { cAtoiInt as atoi } from '../config/c-numbers.js';
import { encodeValue } from '../config/parseconf.js';

export { atoi };
import { flagWords, flagsFromWords, type DstateOp } from '../dstate/ops.js';

export function encodeOp(op: DstateOp): string {
  switch (op.op) {
    case 'SETINFO':
    case 'ADDENUM':
    case 'DELENUM':
      return `${op.op} ${op.name} "${encodeValue(op.value)}"\n`;
    case 'DELINFO':
    case 'ADDCMD':
    case 'DELCMD':
      return `${op.op} ${op.name}\n`;
    case 'SETFLAGS': {
      const words = flagWords(op.flags);
      return `SETFLAGS ${op.name}${words.length ? ' ' + words.join(' ') : ''}\n`;
    }
    case 'SETAUX':
      return `SETAUX ${op.name} ${op.aux}\n`;
    case 'ADDRANGE':
    case 'DELRANGE':
      return `${op.op} ${op.name} ${op.min} ${op.max}\n`;
    case 'DATAOK':
    case 'DATASTALE':
      return `${op.op}\n`;
  }
}

/**
 * Parses one tokenized line from a driver into an op, as upsd does (verbs case-insensitive,
 * minimum word counts). Returns null for anything else (DUMPDONE, PONG, TRACKING are
 * handled by the caller).
 */
export function decodeOp(words: readonly string[]): DstateOp | null {
  if (words.length === 0) return null;
  const verb = words[0].toUpperCase();
  const n = words.length;
  switch (verb) {
    case 'SETINFO':
      return n >= 3 ? { op: 'SETINFO', name: words[1], value: words[2] } : null;
    case 'DELINFO':
      return n >= 2 ? { op: 'DELINFO', name: words[1] } : null;
    case 'SETFLAGS':
      return n >= 3 ? { op: 'SETFLAGS', name: words[1], flags: flagsFromWords(words.slice(2)) } : null;
    case 'SETAUX':
      return n >= 3 ? { op: 'SETAUX', name: words[1], aux: atoi(words[2]) } : null;
    case 'ADDENUM':
      return n >= 3 ? { op: 'ADDENUM', name: words[1], value: words[2] } : null;
    case 'DELENUM':
      return n >= 3 ? { op: 'DELENUM', name: words[1], value: words[2] } : null;
    case 'ADDRANGE':
      return n >= 4 ? { op: 'ADDRANGE', name: words[1], min: atoi(words[2]), max: atoi(words[3]) } : null;
    case 'DELRANGE':
      return n >= 4 ? { op: 'DELRANGE', name: words[1], min: atoi(words[2]), max: atoi(words[3]) } : null;
    case 'ADDCMD':
      return n >= 2 ? { op: 'ADDCMD', name: words[1] } : null;
    case 'DELCMD':
      return n >= 2 ? { op: 'DELCMD', name: words[1] } : null;
    case 'DATAOK':
      return { op: 'DATAOK' };
    case 'DATASTALE':
      return { op: 'DATASTALE' };
    default:
      return null;
  }
}
