/** The Megatec family's shared functions (drivers/nutdrv_qx_blazer-common.c). */
import { cformat, strtod, strtol } from '../cformat.js';
import type { Item } from '../item.js';
import { claimItems } from './claim.js';
import type { FunctionSet, QxApi } from './types.js';

function skipWhere(qx: QxApi, pick: (item: Item) => boolean): void {
  for (const item of qx.items) if (pick(item)) item.flags.add('skip');
}

const isShutdownActiveBit = (i: Item) => i.name.toLowerCase() === 'ups.status' && i.from === 44 && i.to === 44;

/** Delay text of the S command: `.n` (6 s steps) below a minute, else two-digit minutes. */
function offdelayText(offdelay: number): string {
  return offdelay < 60 ? `.${Math.trunc(offdelay / 6)}` : cformat('%02ld', Math.trunc(offdelay / 60));
}

export const blazer: FunctionSet = {
  claim: {
    blazer_claim: (qx) => claimItems(qx, ['input.voltage', 'ups.firmware'], (i) => i === 1 && qx.testvar('novendor')),
    blazer_claim_light: (qx) => claimItems(qx, ['input.voltage']),
  },
  initups: {
    blazer_initups: (qx) => {
      const nr = qx.testvar('norating');
      const nv = qx.testvar('novendor');
      const isb = qx.testvar('ignoresab');
      skipWhere(qx, (i) => {
        const c = i.command?.toLowerCase();
        if (c === undefined) return false;
        return (nr && c === 'f\r') || (nv && (c === 'i\r' || c === 'fw?\r')) || (isb && isShutdownActiveBit(i));
      });
    },
    blazer_initups_light: (qx) => {
      if (!qx.testvar('ignoresab')) return;
      const item = qx.items.find(isShutdownActiveBit);
      item?.flags.add('skip');
    },
  },
  value: {
    blazer_process_setvar: (item, value, qx) => {
      if (!value.length) return null;
      const v = strtol(value);
      const lname = item.name.toLowerCase();
      if (v < 0) {
        qx.log(`${item.name}: ${lname === 'ups.delay.start' ? 'ondelay' : 'offdelay'} '${v}' should not be negative`);
        return null;
      }
      if (lname === 'ups.delay.start') return String(v - (v % 60));
      if (lname === 'ups.delay.shutdown') return String(v < 60 ? v - (v % 6) : v - (v % 60));
      return null;
    },
    blazer_process_command: (item, value, qx) => {
      const lname = item.name.toLowerCase();
      const command = item.command ?? '';
      if (lname === 'shutdown.return') {
        const offdelay = strtol(qx.getinfo('ups.delay.shutdown'));
        const ondelay = Math.trunc(strtol(qx.getinfo('ups.delay.start')) / 60);
        if (offdelay < 0) return null;
        const buf = ondelay <= 0 ? offdelayText(offdelay) : `${offdelayText(offdelay)}R${cformat('%04ld', ondelay)}`;
        return cformat(command, buf);
      }
      if (lname === 'shutdown.stayoff') {
        const offdelay = strtol(qx.getinfo('ups.delay.shutdown'));
        if (offdelay < 0) return null;
        return cformat(command, offdelayText(offdelay));
      }
      if (lname === 'test.battery.start') {
        const delay = value.length ? strtol(value) : 600;
        if (delay < 60 || delay > 5940) {
          qx.log(`${item.name}: battery test time '${delay}' out of range [60..5940] seconds`);
          return null;
        }
        return cformat(command, Math.trunc(delay / 60));
      }
      return null;
    },
    blazer_process_status_bits: (item, _value, qx) => {
      if (!/^[01]/.test(item.value) || /^[01][01]/.test(item.value)) return null;
      const one = item.value[0] === '1';
      switch (item.from) {
        case 38:
          return one ? '!OL' : 'OL';
        case 39:
          return one ? 'LB' : '!LB';
        case 40: {
          if (!one) return '';
          const vi = strtod(qx.getinfo('input.voltage'));
          const vo = strtod(qx.getinfo('output.voltage'));
          if (vo < 0.5 * vi) return null;
          if (vo < 0.95 * vi) return 'TRIM';
          if (vo < 1.05 * vi) return 'BYPASS';
          if (vo < 1.5 * vi) return 'BOOST';
          return null;
        }
        case 41:
          return one ? 'UPS selftest failed!' : '';
        case 42:
          return one ? 'offline / line interactive' : 'online';
        case 43:
          return one ? 'CAL' : '!CAL';
        case 44:
          return one ? 'FSD' : '!FSD';
        case 45:
          return one ? 'enabled' : 'disabled';
        default:
          return null;
      }
    },
  },
  options: {
    blazer_makevartable: {
      norating: ['flag', 'Skip reading rating information from UPS'],
      novendor: ['flag', 'Skip reading vendor information from UPS'],
      ignoresab: ['flag', "Ignore 'Shutdown Active' bit in UPS status"],
    },
    blazer_makevartable_light: {
      ignoresab: ['flag', "Ignore 'Shutdown Active' bit in UPS status"],
    },
  },
};
