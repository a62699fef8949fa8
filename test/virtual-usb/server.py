#!/usr/bin/python3
"""Serves virtual USB devices (JSON device models) through a umockdev testbed.

Programs started with LD_PRELOAD=libumockdev-preload.so.0 and UMOCKDEV_DIR=<root> (what
umockdev-wrapper sets) see the device in /sys and /dev/bus/usb (usbfs, as libusb uses it)
and, for HID models, as /dev/hidrawN (as hidapi uses it).

The model file holds one model, or a list of models for several devices in one testbed
(identical units on different ports). Control: one JSON command per line on stdin, one JSON
answer per line on stdout; a command applies to device 0 unless it names "device": <index>.
  {"cmd": "setFeature", "id": 12, "hex": "0c 64 00 00 14 0a"}
  {"cmd": "queueInterrupt", "hex": "13 00"}
  {"cmd": "setReports", "features": {"12": "..."}}   (replaces the listed feature reports)
  {"cmd": "unplug"} / {"cmd": "replug"} / {"cmd": "state"} / {"cmd": "stop"}
  {"cmd": "permissions", "mode": "600"}   (device nodes' mode; the testbed opened to all users)
  {"cmd": "permissions", "mode": "660", "group": 105}   (and their group, as a udev rule sets it)
Every OUT transfer (SET_REPORT, other control OUT, interrupt/bulk OUT, hidraw feature and
output reports) is appended to the log file as one JSON line.

Run with the system python3 (it needs gi and the UMockdev typelib).
"""
import errno
import gc
import json
import os
import shutil
import signal
import struct
import sys
import threading
import time

import gi

gi.require_version('UMockdev', '1.0')
from gi.repository import UMockdev  # noqa: E402

# ---------------------------------------------------------------- ioctl numbers (x86-64)


def _ioc(direction, kind, nr, size):
    return (direction << 30) | (size << 16) | (ord(kind) << 8) | nr


IOC_NONE, IOC_WRITE, IOC_READ = 0, 1, 2
URB_SIZE = 56
USBDEVFS_GETDRIVER = _ioc(IOC_WRITE, 'U', 8, 260)
USBDEVFS_SUBMITURB = _ioc(IOC_READ, 'U', 10, URB_SIZE)
USBDEVFS_DISCARDURB = _ioc(IOC_NONE, 'U', 11, 0)
USBDEVFS_REAPURB = _ioc(IOC_WRITE, 'U', 12, 8)
USBDEVFS_REAPURBNDELAY = _ioc(IOC_WRITE, 'U', 13, 8)
USBDEVFS_CLAIMINTERFACE = _ioc(IOC_READ, 'U', 15, 4)
USBDEVFS_RELEASEINTERFACE = _ioc(IOC_READ, 'U', 16, 4)
USBDEVFS_CONNECTINFO = _ioc(IOC_WRITE, 'U', 17, 8)
USBDEVFS_IOCTL = _ioc(IOC_READ | IOC_WRITE, 'U', 18, 16)
USBDEVFS_RESET = _ioc(IOC_NONE, 'U', 20, 0)
USBDEVFS_CLEAR_HALT = _ioc(IOC_READ, 'U', 21, 4)
USBDEVFS_SETINTERFACE = _ioc(IOC_READ, 'U', 4, 8)
USBDEVFS_SETCONFIGURATION = _ioc(IOC_READ, 'U', 5, 4)
USBDEVFS_GET_CAPABILITIES = _ioc(IOC_READ, 'U', 26, 4)
USBDEVFS_DISCONNECT_CLAIM = _ioc(IOC_READ, 'U', 27, 264)
USBDEVFS_GET_SPEED = _ioc(IOC_NONE, 'U', 31, 0)

# CAP_BULK_CONTINUATION | CAP_NO_PACKET_SIZE_LIM | CAP_REAP_AFTER_DISCONNECT
USBDEVFS_CAPS = 0x02 | 0x04 | 0x10

URB_TYPE_INTERRUPT, URB_TYPE_CONTROL, URB_TYPE_BULK = 1, 2, 3

HIDIOCGRDESCSIZE = _ioc(IOC_READ, 'H', 0x01, 4)
HIDIOCGRDESC = _ioc(IOC_READ, 'H', 0x02, 4100)
HIDIOCGRAWINFO = _ioc(IOC_READ, 'H', 0x03, 8)
HID_NR_GRAWNAME, HID_NR_GRAWPHYS, HID_NR_SFEATURE, HID_NR_GFEATURE = 0x04, 0x05, 0x06, 0x07
HID_NR_GRAWUNIQ, HID_NR_GINPUT = 0x08, 0x0A

# How long an empty poll of the device is held before "nothing yet" is answered. The fake
# node is a regular file, so poll() never blocks and libusb/hidapi would otherwise spin.
IDLE_REAP_S = 0.004
IDLE_READ_S = 0.05


def hexbytes(text):
    return bytes.fromhex(''.join(str(text).split()))


def tohex(data):
    return ' '.join('%02x' % b for b in data)


def num(value):
    """Model numbers: ints, or hex strings ("051d", "0x51d")."""
    if isinstance(value, int):
        return value
    return int(str(value), 16)


# ---------------------------------------------------------------- device model


class Device:
    """The device's state: reports, queues and the OUT log (shared by usbfs and hidraw)."""

    def __init__(self, model, log_file, index=0):
        self.model = model
        self.index = index
        usb = model['usb']
        self.vendor_id = num(usb['vendorId'])
        self.product_id = num(usb['productId'])
        self.bcd_device = num(usb.get('bcdDevice', '0100'))
        self.bus = int(usb.get('bus', 1))
        self.devnum = int(usb.get('devnum', 2 + index))
        self.port_path = str(usb.get('port', str(1 + index)))
        self.speed = str(usb.get('speed', '12'))
        self.string_index = {
            'manufacturer': int(usb.get('iManufacturer', 1 if 'manufacturer' in usb else 0)),
            'product': int(usb.get('iProduct', 2 if 'product' in usb else 0)),
            'serial': int(usb.get('iSerialNumber', 3 if 'serial' in usb else 0)),
        }
        self.strings = {int(k): v for k, v in model.get('strings', {}).items()}
        for key, idx in self.string_index.items():
            if idx and key in usb and idx not in self.strings:
                self.strings[idx] = usb[key]
        self.raw_strings = {int(k): hexbytes(v) for k, v in model.get('rawStrings', {}).items()}
        self.interfaces = model.get('interfaces') or [default_hid_interface(model)]
        self.hid = next((i for i in self.interfaces if i.get('hid')), None)
        self.report_descriptor = hexbytes(self.hid['hid']['reportDescriptor']) if self.hid else b''
        self.features = {int(k): hexbytes(v) for k, v in model.get('featureReports', {}).items()}
        self.inputs = {int(k): hexbytes(v) for k, v in model.get('inputReports', {}).items()}
        self.echo_set_report = model.get('echoSetReport', True)
        self.control = model.get('control', [])
        self.reactions = model.get('reactions', [])
        self.lock = threading.Condition()
        self.initial_interrupts = [hexbytes(x) for x in model.get('interrupt', [])]
        # every open file (NUT's driver and ours at the same time) gets each interrupt report
        self.subscribers = []
        self.log_file = log_file
        self.present = True

    # the OUT log -------------------------------------------------------

    def log(self, kind, data, **extra):
        entry = {'t': round(time.time(), 4), 'device': self.index, 'kind': kind, 'hex': tohex(data)}
        entry.update(extra)
        self.log_file.write(json.dumps(entry) + '\n')
        self.react(kind, data)

    def react(self, kind, data):
        for rule in self.reactions:
            when = rule.get('when', {})
            if when.get('kind', kind) != kind:
                continue
            prefix = hexbytes(when.get('prefix', ''))
            if data[:len(prefix)] != prefix:
                continue
            for report in rule.get('interrupt', []):
                self.queue_interrupt(hexbytes(report))

    # reports -------------------------------------------------------------

    def subscribe(self):
        """A new reader's queue: the model's initial reports, then each one queued."""
        with self.lock:
            queue = list(self.initial_interrupts)
            self.subscribers.append(queue)
            return queue

    def unsubscribe_all(self):
        with self.lock:
            self.subscribers = []

    def queue_interrupt(self, data):
        with self.lock:
            for queue in self.subscribers:
                queue.append(data)

    def pop_interrupt(self, queue):
        with self.lock:
            return queue.pop(0) if queue else None

    def get_report(self, report_type, report_id):
        with self.lock:
            if report_type == 1 and report_id in self.inputs:
                return self.inputs[report_id]
            return self.features.get(report_id)

    def set_report(self, report_type, report_id, data):
        self.log('setReport', data, reportType=report_type, reportId=report_id)
        if report_type == 3 and self.echo_set_report:
            with self.lock:
                old = self.features.get(report_id)
                if old is not None and len(data) < len(old):
                    data = data + old[len(data):]
                self.features[report_id] = data

    # descriptors ---------------------------------------------------------

    def device_descriptor(self):
        return struct.pack(
            '<BBHBBBBHHHBBBB', 18, 1, 0x0200, num(self.model['usb'].get('deviceClass', '00')), 0, 0, 8,
            self.vendor_id, self.product_id, self.bcd_device, self.string_index['manufacturer'],
            self.string_index['product'], self.string_index['serial'], 1)

    def hid_descriptor(self, iface):
        rd = hexbytes(iface['hid']['reportDescriptor'])
        return struct.pack('<BBHBBBH', 9, 0x21, 0x0100, 0, 1, 0x22, len(rd))

    def config_descriptor(self):
        body = b''
        for iface in self.interfaces:
            eps = iface.get('endpoints', [])
            body += struct.pack('<BBBBBBBBB', 9, 4, int(iface.get('number', 0)), 0, len(eps),
                                num(iface.get('class', '03')), num(iface.get('subclass', '00')),
                                num(iface.get('protocol', '00')), 0)
            if iface.get('hid'):
                body += self.hid_descriptor(iface)
            for ep in eps:
                kind = {'interrupt': 3, 'bulk': 2}[ep.get('type', 'interrupt')]
                body += struct.pack('<BBBBHB', 7, 5, num(ep['address']), kind,
                                    int(ep.get('maxPacketSize', 8)), int(ep.get('interval', 10)))
        head = struct.pack('<BBHBBBBB', 9, 2, 9 + len(body), len(self.interfaces), 1, 0, 0xA0, 50)
        return head + body

    def string_descriptor(self, index):
        if index in self.raw_strings:
            return self.raw_strings[index]
        if index == 0:
            return bytes([4, 3, 0x09, 0x04])
        if index not in self.strings:
            return None
        text = self.strings[index].encode('utf-16-le')[:252]
        return bytes([2 + len(text), 3]) + text

    # control requests ------------------------------------------------------

    def control_in(self, rtype, request, value, index, length):
        """Bytes for an IN control request, or None for a stall."""
        for rule in self.control:
            if rule_matches(rule, rtype, request, value, index):
                return hexbytes(rule.get('reply', ''))[:length]
        if request == 6 and rtype & 0x60 == 0:  # standard GET_DESCRIPTOR
            dtype, didx = value >> 8, value & 0xFF
            if dtype == 1:
                out = self.device_descriptor()
            elif dtype == 2:
                out = self.config_descriptor()
            elif dtype == 3:
                out = self.string_descriptor(didx)
            elif dtype == 0x21 and self.hid:
                out = self.hid_descriptor(self.hid)
            elif dtype == 0x22 and self.hid:
                out = self.report_descriptor
            else:
                out = None
            return None if out is None else out[:length]
        if rtype == 0xA1 and request == 0x01:  # HID GET_REPORT
            data = self.get_report(value >> 8, value & 0xFF)
            return None if data is None else data[:length]
        if rtype == 0xA1 and request == 0x02:  # GET_IDLE
            return b'\x00'[:length]
        if rtype == 0x80 and request == 0:  # GET_STATUS
            return b'\x00\x00'[:length]
        if rtype == 0x80 and request == 8:  # GET_CONFIGURATION
            return b'\x01'[:length]
        return None

    def control_out(self, rtype, request, value, index, data):
        """True when accepted, False for a stall."""
        if rtype == 0x21 and request == 0x09:  # HID SET_REPORT
            self.set_report(value >> 8, value & 0xFF, data)
            return True
        self.log('controlOut', data, requestType=rtype, request=request, value=value, index=index)
        return True


def rule_matches(rule, rtype, request, value, index):
    m = rule.get('match', {})
    for key, actual in (('requestType', rtype), ('request', request), ('value', value), ('index', index)):
        if key in m and num(m[key]) != actual:
            return False
    return True


def default_hid_interface(model):
    return {
        'number': 0, 'class': '03',
        'hid': {'reportDescriptor': model['reportDescriptor']},
        'endpoints': [{'address': '81', 'type': 'interrupt', 'maxPacketSize': 8, 'interval': 10}],
    }


# ---------------------------------------------------------------- usbfs


class Urb:
    def __init__(self, data, buf, urb_type, endpoint, length):
        self.data = data
        self.buf = buf
        self.type = urb_type
        self.endpoint = endpoint
        self.length = length
        self.addr = data.client_addr


class UsbfsHandler:
    """Answers the usbfs ioctls libusb issues on /dev/bus/usb/BBB/DDD."""

    def __init__(self, device):
        self.device = device
        self.gone = False
        self.clients = {}  # per open file: pending and finished URBs
        self.handler = UMockdev.IoctlBase()
        self.handler.connect('handle-ioctl', self.on_ioctl)

    def state(self, client):
        key = hash(client)
        st = self.clients.get(key)
        if st is None:
            st = self.clients[key] = {'client': client, 'pending': [], 'done': [], 'interrupts': self.device.subscribe()}
        return st

    def unplug(self):
        """Pending URBs finish with -ESHUTDOWN (as the kernel does); then ENODEV."""
        self.gone = True
        for st in self.clients.values():
            for urb in st['pending']:
                finish(urb, -errno.ESHUTDOWN, b'')
                st['done'].append(urb)
            st['pending'] = []

    def on_ioctl(self, _handler, client):
        try:
            return self.dispatch(client)
        except Exception as e:  # keep serving; a bug here must not hang the client
            sys.stderr.write('usbfs ioctl error: %r\n' % (e,))
            client.complete(-1, errno.EIO)
            return True

    def dispatch(self, client):
        req = client.get_request()
        st = self.state(client)
        arg = client.get_arg()
        if req in (USBDEVFS_REAPURBNDELAY, USBDEVFS_REAPURB):
            self.fill_interrupts(st)
            if st['done']:
                urb = st['done'].pop(0)
                ptr = arg.resolve(0, 8)
                ptr.set_ptr(0, urb.data)
                client.complete(0, 0)
                return True
            if self.gone:
                client.complete(-1, errno.ENODEV)
                return True
            # nothing yet: answer EAGAIN a little later so that a poll loop does not spin
            threading.Timer(IDLE_REAP_S, client.complete, (-1, errno.EAGAIN)).start()
            return True
        if req == USBDEVFS_DISCARDURB:
            addr = struct.unpack('<Q', bytes(arg.retrieve()[:8]))[0]
            for urb in st['pending']:
                if urb.addr == addr:
                    st['pending'].remove(urb)
                    finish(urb, -errno.ENOENT, b'')
                    st['done'].append(urb)
                    client.complete(0, 0)
                    return True
            client.complete(-1, errno.EINVAL)
            return True
        if self.gone:
            client.complete(-1, errno.ENODEV)
            return True
        if req == USBDEVFS_SUBMITURB:
            self.submit(client, st, arg)
            return True
        if req == USBDEVFS_GET_CAPABILITIES:
            arg.resolve(0, 4).update(0, list(struct.pack('<I', USBDEVFS_CAPS)))
            client.complete(0, 0)
            return True
        if req == USBDEVFS_GETDRIVER:
            client.complete(-1, errno.ENODATA)  # no kernel driver bound
            return True
        if req == USBDEVFS_CONNECTINFO:
            arg.resolve(0, 8).update(0, list(struct.pack('<IB3x', self.device.devnum, 0)))
            client.complete(0, 0)
            return True
        if req == USBDEVFS_GET_SPEED:
            client.complete(2, 0)  # USB_SPEED_FULL
            return True
        if req == USBDEVFS_IOCTL:
            client.complete(-1, errno.ENODATA)  # USBDEVFS_DISCONNECT: no driver to detach
            return True
        if req in (USBDEVFS_CLAIMINTERFACE, USBDEVFS_RELEASEINTERFACE, USBDEVFS_SETINTERFACE,
                   USBDEVFS_SETCONFIGURATION, USBDEVFS_CLEAR_HALT, USBDEVFS_RESET,
                   USBDEVFS_DISCONNECT_CLAIM):
            client.complete(0, 0)
            return True
        client.complete(-1, errno.ENOTTY)
        return True

    def submit(self, client, st, arg):
        data = arg.resolve(0, URB_SIZE)
        raw = bytes(data.retrieve())
        urb_type, endpoint = raw[0], raw[1]
        length = struct.unpack_from('<i', raw, 24)[0]
        buf = data.resolve(16, length) if length > 0 else None
        urb = Urb(data, buf, urb_type, endpoint, length)
        content = bytes(buf.retrieve()) if buf is not None else b''
        dev = self.device
        if urb_type == URB_TYPE_CONTROL:
            rtype, request, value, index, wlength = struct.unpack_from('<BBHHH', content, 0)
            if rtype & 0x80:
                reply = dev.control_in(rtype, request, value, index, wlength)
                if reply is None:
                    finish(urb, -errno.EPIPE, b'')
                else:
                    finish(urb, 0, reply, offset=8)
            else:
                ok = dev.control_out(rtype, request, value, index, content[8:8 + wlength])
                finish(urb, 0 if ok else -errno.EPIPE, b'', actual=wlength if ok else 0)
            st['done'].append(urb)
        elif endpoint & 0x80:
            st['pending'].append(urb)  # IN: completes when the device has something
        else:
            kind = 'interruptOut' if urb_type == URB_TYPE_INTERRUPT else 'bulkOut'
            dev.log(kind, content, endpoint=endpoint)
            finish(urb, 0, b'', actual=length)
            st['done'].append(urb)
        client.complete(0, 0)

    def fill_interrupts(self, st):
        for urb in list(st['pending']):
            if urb.type != URB_TYPE_INTERRUPT:
                continue
            report = self.device.pop_interrupt(st['interrupts'])
            if report is None:
                return
            st['pending'].remove(urb)
            finish(urb, 0, report[:urb.length])
            st['done'].append(urb)


def finish(urb, status, payload, offset=0, actual=None):
    """Writes the result into the URB (and its buffer) for the reap that returns it."""
    if payload and urb.buf is not None:
        urb.buf.update(offset, list(payload))
    n = len(payload) if actual is None else actual
    urb.data.update(4, list(struct.pack('<i', status)))
    urb.data.update(28, list(struct.pack('<i', n)))


# ---------------------------------------------------------------- hidraw


class HidrawHandler:
    """Answers hidraw ioctls and read()/write() on /dev/hidrawN."""

    def __init__(self, device):
        self.device = device
        self.gone = False
        self.clients = {}  # per open file: its interrupt report queue, from the open on
        self.handler = UMockdev.IoctlBase()
        self.handler.connect('client-connected', lambda _h, client: self.queue_of(client))
        self.handler.connect('handle-ioctl', self.on_ioctl)
        self.handler.connect('handle-read', self.on_read)
        self.handler.connect('handle-write', self.on_write)

    def queue_of(self, client):
        key = hash(client)
        if key not in self.clients:
            self.clients[key] = (client, self.device.subscribe())
        return self.clients[key][1]

    def unplug(self):
        self.gone = True

    def on_ioctl(self, _handler, client):
        try:
            return self.dispatch(client)
        except Exception as e:
            sys.stderr.write('hidraw ioctl error: %r\n' % (e,))
            client.complete(-1, errno.EIO)
            return True

    def dispatch(self, client):
        if self.gone:
            client.complete(-1, errno.ENODEV)
            return True
        req = client.get_request()
        arg = client.get_arg()
        dev = self.device
        nr, size, kind = req & 0xFF, (req >> 16) & 0x3FFF, (req >> 8) & 0xFF
        if kind != ord('H'):
            client.complete(-1, errno.ENOTTY)
            return True
        if req == HIDIOCGRDESCSIZE:
            arg.resolve(0, 4).update(0, list(struct.pack('<i', len(dev.report_descriptor))))
            client.complete(0, 0)
        elif req == HIDIOCGRDESC:
            buf = arg.resolve(0, 4100)
            want = struct.unpack('<I', bytes(buf.retrieve()[:4]))[0]
            buf.update(4, list(dev.report_descriptor[:want]))
            client.complete(0, 0)
        elif req == HIDIOCGRAWINFO:
            arg.resolve(0, 8).update(0, list(struct.pack('<Ihh', 3, to_s16(dev.vendor_id), to_s16(dev.product_id))))
            client.complete(0, 0)
        elif nr in (HID_NR_GRAWNAME, HID_NR_GRAWPHYS, HID_NR_GRAWUNIQ):
            text = {HID_NR_GRAWNAME: hid_name(dev), HID_NR_GRAWPHYS: 'usb-virtual-%s/input0' % dev.port_path,
                    HID_NR_GRAWUNIQ: dev.model['usb'].get('serial', '')}[nr].encode()[:size - 1] + b'\0'
            arg.resolve(0, size).update(0, list(text))
            client.complete(len(text), 0)
        elif nr in (HID_NR_GFEATURE, HID_NR_GINPUT):
            buf = arg.resolve(0, size)
            report_id = buf.retrieve()[0]
            data = dev.get_report(3 if nr == HID_NR_GFEATURE else 1, report_id)
            if data is None:
                client.complete(-1, errno.EPIPE)
            else:
                data = data[:size]
                buf.update(0, list(data))
                client.complete(len(data), 0)
        elif nr == HID_NR_SFEATURE:
            data = bytes(arg.resolve(0, size).retrieve())
            dev.set_report(3, data[0], data)
            client.complete(len(data), 0)
        else:
            client.complete(-1, errno.EINVAL)
        return True

    def on_read(self, _handler, client):
        arg = client.get_arg()
        if self.gone:
            client.complete(-1, errno.EIO)
            return True
        report = self.device.pop_interrupt(self.queue_of(client))
        if report is not None:
            report = report[:len(arg.retrieve())]
            arg.update(0, list(report))
            client.complete(len(report), 0)
            return True
        # a blocking read: hold it a while, then "nothing yet" (hidapi treats EAGAIN as 0 bytes)
        threading.Timer(IDLE_READ_S, client.complete, (-1, errno.EAGAIN)).start()
        return True

    def on_write(self, _handler, client):
        if self.gone:
            client.complete(-1, errno.ENODEV)
            return True
        data = bytes(client.get_arg().retrieve())
        self.device.log('outputReport', data, reportId=data[0] if data else 0)
        client.complete(len(data), 0)
        return True


def to_s16(v):
    return v - 0x10000 if v >= 0x8000 else v


def hid_name(dev):
    usb = dev.model['usb']
    return ' '.join(x for x in (usb.get('manufacturer', ''), usb.get('product', '')) if x).strip()


# ---------------------------------------------------------------- the testbed


class Slot:
    """One device of the testbed: its sysfs entries, nodes and ioctl handlers."""

    def __init__(self, bench, model, log_file, index):
        self.bench = bench
        self.device = Device(model, log_file, index)
        self.tb = bench.tb
        self.usbfs = None
        self.hidraw = None
        self.paths = []
        self.node_mode = None
        self.node_group = None
        self.plug()

    def devnode(self):
        return '/dev/bus/usb/%03d/%03d' % (self.device.bus, self.device.devnum)

    def plug(self):
        d = self.device
        usb = d.model['usb']
        tb = self.tb
        sysname = '%d-%s' % (d.bus, d.port_path)
        minor = (d.bus - 1) * 128 + (d.devnum - 1)
        attrs = {
            'busnum': '%d' % d.bus, 'devnum': '%d' % d.devnum, 'dev': '189:%d' % minor, 'speed': d.speed,
            'bConfigurationValue': '1', 'bNumConfigurations': '1', 'bNumInterfaces': ' %d' % len(d.interfaces),
            'bMaxPacketSize0': '8', 'bDeviceClass': '00', 'idVendor': '%04x' % d.vendor_id,
            'idProduct': '%04x' % d.product_id, 'bcdDevice': '%04x' % d.bcd_device, 'version': ' 2.00',
            'devpath': d.port_path, 'authorized': '1', 'maxchild': '0',
        }
        for key in ('manufacturer', 'product', 'serial'):
            if usb.get(key):
                attrs[key] = usb[key]
        attrs = {k: v + '\n' for k, v in attrs.items()}  # sysfs values end in a newline
        props = {
            'DEVTYPE': 'usb_device', 'DEVNAME': 'bus/usb/%03d/%03d' % (d.bus, d.devnum),
            'MAJOR': '189', 'MINOR': str(minor), 'BUSNUM': '%03d' % d.bus, 'DEVNUM': '%03d' % d.devnum,
            'PRODUCT': '%x/%x/%x' % (d.vendor_id, d.product_id, d.bcd_device), 'TYPE': '0/0/0',
        }
        usb_path = tb.add_device('usb', sysname, None, flat(attrs), flat(props))
        tb.set_attribute_binary(usb_path, 'descriptors', list(d.device_descriptor() + d.config_descriptor()))
        self.paths = [usb_path]
        self.make_node(self.devnode())
        self.usbfs = UsbfsHandler(d)
        tb.attach_ioctl(self.devnode(), self.usbfs.handler)
        if d.hid and d.model.get('hidraw', True):
            self.add_hidraw(usb_path, sysname)
        if self.node_mode is not None:
            self.apply_permissions()

    def add_hidraw(self, usb_path, sysname):
        d, tb = self.device, self.tb
        iface = d.hid
        inum = int(iface.get('number', 0))
        if_path = tb.add_device('usb', '%s:1.%d' % (sysname, inum), usb_path, flat({
            'bInterfaceNumber': '%02x\n' % inum, 'bAlternateSetting': ' 0\n', 'bInterfaceClass': '03\n',
            'bInterfaceSubClass': '00\n', 'bInterfaceProtocol': '00\n',
            'bNumEndpoints': '%02x\n' % len(iface.get('endpoints', [])),
        }), flat({'DEVTYPE': 'usb_interface', 'INTERFACE': '3/0/0'}))
        hid_sysname = '0003:%04X:%04X.%04X' % (d.vendor_id, d.product_id, self.bench.next_hid_number())
        hid_path = tb.add_device('hid', hid_sysname, if_path, [], flat({
            'HID_ID': '0003:%08X:%08X' % (d.vendor_id, d.product_id), 'HID_NAME': hid_name(d),
            'HID_PHYS': 'usb-virtual-%s/input%d' % (d.port_path, inum),
            'HID_UNIQ': d.model['usb'].get('serial', ''),
            'MODALIAS': 'hid:b0003g0001v%08Xp%08X' % (d.vendor_id, d.product_id),
        }))
        tb.set_attribute_binary(hid_path, 'report_descriptor', list(d.report_descriptor))
        minor = int(d.model.get('hidrawMinor', d.index))
        raw_path = tb.add_device('hidraw', 'hidraw%d' % minor, hid_path, ['dev', '247:%d\n' % minor],
                                 ['DEVNAME', 'hidraw%d' % minor, 'MAJOR', '247', 'MINOR', str(minor)])
        # hidapi reads <hidraw>/device/report_descriptor; umockdev makes no such link itself
        tb.set_attribute_link(raw_path, 'device', '..')
        self.make_node('/dev/hidraw%d' % minor)
        self.hidraw = HidrawHandler(d)
        tb.attach_ioctl('/dev/hidraw%d' % minor, self.hidraw.handler)
        self.hidraw_node = '/dev/hidraw%d' % minor
        self.paths += [if_path, hid_path, raw_path]

    def make_node(self, node):
        """The /dev node: a plain file (umockdev redirects its ioctls, reads and writes to us)."""
        path = self.tb.get_root_dir() + node
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, 'wb').close()

    def set_permissions(self, mode, group=None):
        self.node_mode = mode
        if group is not None:
            self.node_group = group
        self.apply_permissions()

    def apply_permissions(self):
        root, mode = self.tb.get_root_dir(), self.node_mode
        for node in (self.devnode(), getattr(self, 'hidraw_node', None)):
            if node and os.path.exists(root + node):
                if self.node_group is not None:
                    os.chown(root + node, 0, self.node_group)
                os.chmod(root + node, mode)
            # umockdev's preload connects to the node's ioctl socket before it opens the node
            if node and os.path.exists(root + '/ioctl' + node):
                os.chmod(root + '/ioctl' + node, 0o777)

    def remove_node(self, node):
        try:
            os.unlink(self.tb.get_root_dir() + node)
        except OSError:
            pass

    def unplug(self):
        if not self.device.present:
            return
        self.device.present = False
        self.device.unsubscribe_all()
        self.usbfs.unplug()
        if self.hidraw:
            self.hidraw.unplug()
        for path in reversed(self.paths):
            self.tb.uevent(path, 'remove')
        self.tb.detach_ioctl(self.devnode())
        self.remove_node(self.devnode())
        if self.hidraw:
            self.tb.detach_ioctl(self.hidraw_node)
            self.remove_node(self.hidraw_node)
        for path in reversed(self.paths):
            self.tb.remove_device(path)
        self.remove_stale_links()
        self.paths = []

    def remove_stale_links(self):
        """remove_device leaves some bus and class links behind; a replug re-creates them."""
        sysdir = self.tb.get_sys_dir()
        for top in ('bus', 'class'):
            for dirpath, dirnames, filenames in os.walk(os.path.join(sysdir, top)):
                for name in dirnames + filenames:
                    link = os.path.join(dirpath, name)
                    if os.path.islink(link) and not os.path.exists(link):
                        os.unlink(link)

    def replug(self):
        if self.device.present:
            return
        # the kernel gives a replugged device the next free address; its port stays the same
        self.device.devnum = self.bench.next_devnum()
        self.device.present = True
        self.plug()
        for path in self.paths:
            self.tb.uevent(path, 'add')

    def close(self):
        self.unplug()

    def describe(self):
        d = self.device
        return {
            'present': d.present,
            'bus': '%03d' % d.bus, 'device': '%03d' % d.devnum, 'busport': '%d-%s' % (d.bus, d.port_path),
            'usbNode': self.devnode(), 'hidrawNode': getattr(self, 'hidraw_node', None),
        }


class Bench:
    """The testbed and its devices (one per model)."""

    def __init__(self, models, log_path):
        self.tb = UMockdev.Testbed.new()
        self.log_file = open(log_path, 'a', buffering=1)
        self.hid_number = 0
        self.slots = []
        for i, model in enumerate(models):
            self.slots.append(Slot(self, model, self.log_file, i))

    def next_hid_number(self):
        self.hid_number += 1
        return self.hid_number

    def next_devnum(self):
        self.last_devnum = max([getattr(self, 'last_devnum', 0)] + [s.device.devnum for s in self.slots]) + 1
        return self.last_devnum

    def slot(self, cmd):
        return self.slots[int(cmd.get('device', 0))]

    def set_permissions(self, mode, group=None):
        """Lets other users into the testbed and gives the device nodes `mode` (root-owned,
        of `group` when given), so that a process of another user meets the device as a
        non-root host would."""
        os.chmod(self.tb.get_root_dir(), 0o1777)  # clients create their uevent sockets here
        for slot in self.slots:
            slot.set_permissions(mode, group)

    def close(self):
        """Ends the service and removes the testbed (also when clients still hold the device)."""
        root = self.tb.get_root_dir()
        for slot in self.slots:
            slot.close()
            slot.tb = None
        self.tb = None
        gc.collect()  # the testbed's finaliser removes its directory
        if os.path.isdir(root):
            shutil.rmtree(root, ignore_errors=True)

    def describe(self):
        devices = [slot.describe() for slot in self.slots]
        return dict(devices[0], root=self.tb.get_root_dir(), sys=self.tb.get_sys_dir(), devices=devices)


def flat(mapping):
    out = []
    for k, v in mapping.items():
        out += [k, v]
    return out


def main():
    model_path, log_path = sys.argv[1], sys.argv[2]
    with open(model_path) as f:
        model = json.load(f)
    bench = Bench(model if isinstance(model, list) else [model], log_path)
    out = sys.stdout

    def answer(obj):
        out.write(json.dumps(obj) + '\n')
        out.flush()

    answer(dict(bench.describe(), event='ready'))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        serve(bench, answer)
    finally:
        bench.close()
        os._exit(0)


def serve(bench, answer):
    # the main thread blocks in readline (releasing the GIL) while umockdev's thread serves ioctls
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            cmd = json.loads(line)
            name = cmd['cmd']
            slot = bench.slot(cmd)
            dev = slot.device
            if name == 'setFeature':
                with dev.lock:
                    dev.features[int(cmd['id'])] = hexbytes(cmd['hex'])
            elif name == 'setInput':
                with dev.lock:
                    dev.inputs[int(cmd['id'])] = hexbytes(cmd['hex'])
            elif name == 'queueInterrupt':
                dev.queue_interrupt(hexbytes(cmd['hex']))
            elif name == 'setReports':
                with dev.lock:
                    for k, v in cmd.get('features', {}).items():
                        dev.features[int(k)] = hexbytes(v)
                    for k, v in cmd.get('inputs', {}).items():
                        dev.inputs[int(k)] = hexbytes(v)
            elif name == 'permissions':
                group = cmd.get('group')
                bench.set_permissions(int(str(cmd['mode']), 8), None if group is None else int(group))
            elif name == 'unplug':
                slot.unplug()
            elif name == 'replug':
                slot.replug()
            elif name == 'stop':
                answer({'ok': True})
                return
            elif name != 'state':
                raise ValueError('unknown command %r' % name)
            answer(dict(bench.describe(), ok=True))
        except Exception as e:  # a bad command gets an error answer, the device keeps serving
            answer({'ok': False, 'error': repr(e)})


if __name__ == '__main__':
    main()
