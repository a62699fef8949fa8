/**
 * Claims and protocol checks of the Voltronic-derived subdrivers (nutdrv_qx_voltronic.c,
 * _voltronic-qs.c, _voltronic-qs-hex.c, _mecer.c, _bestups.c, _masterguard.c). The full
 * Voltronic (QGS/QPI…), QS-hex, BestUPS and Masterguard value functions are not here yet:
 * their items fail, so those protocols are detected but publish only what plain items give.
 */
import { cformat, strtol } from '../cformat.js';
import { cstr } from '../item.js';
import { claimItems } from './claim.js';
import type { FunctionSet } from './types.js';

const VOLTRONIC_PROTOCOLS = [0, 1, 2, 3, 8, 9, 10, 13, 14, 31, 99];

export const voltronicFamily: FunctionSet = {
  claim: {
    voltronic_claim: (qx) => claimItems(qx, ['input.voltage', 'ups.firmware.aux']),
    voltronic_qs_claim: (qx) => claimItems(qx, ['ups.firmware.aux', 'input.voltage']),
    voltronic_qs_hex_claim: (qx) => claimItems(qx, ['ups.firmware.aux', 'input.voltage']),
    mecer_claim: async (qx) => {
      if (!(await claimItems(qx, ['input.voltage']))) return false;
      const item = qx.find('ups.firmware.aux');
      if (!item) {
        qx.delinfo('input.voltage');
        return false;
      }
      if (!(await qx.process(item))) {
        const answer = cstr(item.answer);
        if (!answer.length || answer.toLowerCase() !== '(nak\r') {
          qx.delinfo('input.voltage');
          return false;
        }
        item.flags.add('skip');
        return true;
      }
      if (qx.infovalSet(item) !== 1) {
        qx.delinfo('input.voltage');
        return false;
      }
      return true;
    },
    // NUT 2.8.0 looks for an item named "series" that its table calls "experimental.series":
    // the claim never succeeds and sends nothing.
    masterguard_claim: async (qx) => qx.find('series') !== undefined && false,
  },
  value: {
    voltronic_qs_protocol: (item, _v, qx) => {
      if (item.value.toLowerCase() !== 'v') {
        qx.debug(2, `voltronic_qs_protocol: invalid protocol [${item.value}]`);
        return null;
      }
      return cformat(item.dfl ?? '%s', item.value);
    },
    voltronic_p98_protocol: (item, _v, qx) => {
      if (item.value.toLowerCase() !== 'pi98') {
        qx.log(`Protocol [${item.value}] is not supported by this driver`);
        return null;
      }
      return cformat(item.dfl ?? '%s', 'Voltronic Power P98');
    },
    voltronic_protocol: (item, _v, qx) => {
      if (item.value.slice(0, 2).toLowerCase() !== 'pi') return null;
      const rest = item.value.slice(2);
      if (!/^[0123489]*$/.test(rest)) {
        qx.log(`Protocol [${item.value}] is not supported by this driver`);
        return null;
      }
      const protocol = strtol(rest);
      if (!VOLTRONIC_PROTOCOLS.includes(protocol)) {
        qx.log(`Protocol [PI${cformat('%02ld', protocol)}] is not supported by this driver`);
        return null;
      }
      return cformat('P%02ld', protocol);
    },
    mecer_process_test_battery: (item, value, qx) => {
      const protocol = qx.getinfo('ups.firmware.aux');
      const min = protocol !== undefined && protocol.toLowerCase() === 'voltronic power p98' ? 12 : 60;
      if (!/^[0-9]*$/.test(value)) return null;
      let t = value.length ? strtol(value) : 600;
      if (t < min || t > 5940) {
        qx.log(`${item.name}: battery test time '${t}' out of range [${min}..5940] seconds`);
        return null;
      }
      let buf: string;
      if (t < 60) {
        t = Math.trunc(t / 6);
        buf = `.${t}`;
      } else {
        buf = cformat('%02ld', Math.trunc(t / 60));
      }
      return cformat(item.command ?? '', buf);
    },
  },
};
