/**
 * Code the tables refer to by name: claim hooks (NUT's usb_device_id_t functions), report
 * descriptor fixes (fix_report_desc) and identity formatting (format_model/mfr/serial).
 */
import { findObjectByIdNode, type HidDescriptor } from './hid/descriptor.js';

export interface QuirkDevice {
  vendorId: number;
  productId: number;
  manufacturer: string;
  product: string;
  serial: string;
}

/** What a claim hook may change for the instance. */
export interface QuirkSettings {
  useInterruptPipe: boolean;
  maxReport: boolean;
  interruptOnly: boolean;
  interruptSize: number;
  state: Record<string, number>;
  log(message: string): void;
}

const USAGE_POW_VOLTAGE = 0x00840030;
const USAGE_POW_CONFIG_VOLTAGE = 0x00840040;
const USAGE_POW_HIGH_VOLTAGE_TRANSFER = 0x00840054;

export const claimHooks: Record<string, (d: QuirkDevice, s: QuirkSettings) => void> = {
  disable_interrupt_pipe(_d, s) {
    if (s.useInterruptPipe) {
      s.log("interrupt pipe disabled (add 'pollonly' flag to 'ups.conf' to get rid of this message)");
      s.useInterruptPipe = false;
    }
  },
  // Back-UPS ES 525 and CS models overflow on some reports unless asked for the whole buffer
  general_apc_check(d, s) {
    if (['Back-UPS ES 525', 'Back-UPS CS'].some((p) => d.product.startsWith(p))) s.maxReport = true;
  },
  cps_battery_scale(_d, s) {
    s.state.cpsMightNeedBatteryScale = 1;
  },
  battery_scale_1dot0(_d, s) {
    s.state.trippliteBatteryScale = 1.0;
  },
  battery_scale_0dot1(_d, s) {
    s.state.trippliteBatteryScale = 0.1;
  },
  smart1500lcdt_scale(_d, s) {
    s.state.trippliteBatteryScale = 100000.0;
    s.state.trippliteIoVoltageScale = 100000.0;
    s.state.trippliteIoFrequencyScale = 0.01;
    s.state.trippliteIoCurrentScale = 0.01;
  },
  get_voltage_multiplier(d, s) {
    if (d.productId === 0xd004) {
      s.state.openupsVinScale = 0.03545 * 100;
      s.state.openupsVoutScale = 0.02571 * 100;
      s.state.openupsCchargeScale = 0.8274 / 10;
      s.state.openupsCdischargeScale = 16.113 / 10;
    } else if (d.productId === 0xd005) {
      s.state.openupsVinScale = 0.1;
      s.state.openupsVoutScale = 0.1;
      s.state.openupsCchargeScale = 0.1;
      s.state.openupsCdischargeScale = 0.1;
    }
  },
};

export const descriptorFixes: Record<string, (d: QuirkDevice, desc: HidDescriptor, log: (m: string) => void) => boolean> = {
  // Back-UPS XS 1400U in 220-240 V regions: input voltage ranges too small for the transfer limits
  apc_fix_report_desc(d, desc) {
    if (d.vendorId !== 0x051d || d.productId !== 0x0002) return false;
    const hvt = findObjectByIdNode(desc, 0x33, USAGE_POW_HIGH_VOLTAGE_TRANSFER);
    if (!hvt) return false;
    let fixed = false;
    const voltage = findObjectByIdNode(desc, 0x31, USAGE_POW_VOLTAGE);
    if (voltage && hvt.logMax > voltage.logMax) {
      voltage.logMin = 0;
      voltage.logMax = hvt.logMax * 2;
      fixed = true;
    }
    const config = findObjectByIdNode(desc, 0x30, USAGE_POW_CONFIG_VOLTAGE);
    if (config && hvt.logMax > config.logMax) {
      config.logMax = 255;
      fixed = true;
    }
    return fixed;
  },
  // CP1500PFCLCD (0764:0501): output voltage shares the transfer limits' range; 2.8.0 widens the output only
  cps_fix_report_desc(d, desc) {
    if (d.vendorId !== 0x0764 || d.productId !== 0x0501) return false;
    const hvt = findObjectByIdNode(desc, 16, USAGE_POW_HIGH_VOLTAGE_TRANSFER);
    const out = findObjectByIdNode(desc, 18, USAGE_POW_VOLTAGE);
    if (!hvt || !out || hvt.logMin !== out.logMin || hvt.logMax !== out.logMax) return false;
    out.logMin = 0;
    out.logMax = 511;
    return true;
  },
};

export interface IdentityEnv {
  device: QuirkDevice;
  /** The subdriver table's model list (mge: product + model string → family and name). */
  models: ReadonlyArray<{ product: string; model: string; type: number; name?: string }>;
  state: Record<string, number>;
  setinfo(name: string, value: string): void;
  /** HIDGetItemString: the string whose index the path's value holds ('' when none). */
  itemString(path: string): Promise<string>;
  itemValue(path: string): Promise<number | undefined>;
}

export const identityFormats: Record<string, (env: IdentityEnv) => Promise<string | undefined> | string | undefined> = {
  // "Back-UPS 500 FW: 6.5.I USB FW: c1 " → model, ups.firmware, ups.firmware.aux
  apc_format_model({ device, setinfo }) {
    let model = (device.product || 'unknown').slice(0, 63);
    const fw = model.indexOf('FW:');
    if (fw >= 0) {
      let rest = model.slice(fw + 3);
      model = model.slice(0, Math.max(0, fw - 1));
      const usb = rest.indexOf('USB FW:');
      if (usb >= 0) {
        setinfo('ups.firmware.aux', rest.slice(usb + 7));
        rest = rest.slice(0, Math.max(0, usb - 1));
      }
      setinfo('ups.firmware', rest);
    }
    return model;
  },
  belkin_format_model: ({ device }) => (device.product ? device.product : 'unknown'),
  belkin_format_mfr({ device }) {
    const mfr = (device.manufacturer || 'Belkin').replace(/^ +/, '');
    return mfr || 'Belkin';
  },
  async belkin_format_serial({ device, itemString }) {
    if (device.serial) return device.serial;
    const s = await itemString('UPS.PowerSummary.iSerialNumber');
    return s || undefined;
  },
  async delta_ups_format_model({ device, itemString }) {
    const m = await itemString('UPS.DeltaCustom.[1].DeltaModelName');
    return m || device.product || undefined;
  },
  // Dell's iProduct is the full name; else iProduct + iModel (or the VA rating), known models renamed
  async mge_format_model({ device, itemString, itemValue, models, state }) {
    if (device.vendorId === 0x047c) return device.product || undefined;
    const product = (device.product || 'unknown').slice(0, 511);
    let model = await itemString('UPS.PowerSummary.iModel');
    if (!model) {
      const va = await itemValue('UPS.Flow.[4].ConfigApparentPower');
      if (va !== undefined) model = String(Math.trunc(va));
    }
    if (!model) return device.product || undefined;
    const known = models.find((m) => m.product === product && m.model === model);
    if (known) state.mgeType = known.type;
    return known?.name ?? `${product} ${model}`.slice(0, 511);
  },
};
