#!/usr/bin/python3
# A Bluetooth Mesh provisioner as a D-Bus application of BlueZ bluetooth-meshd (doc/mesh-api.txt, 5.66):
# it creates a network (Network1.CreateNetwork; the node is the provisioner, unicast 0x0001), attaches
# (Network1.Attach) and, when told on stdin, provisions a device over PB-ADV with static OOB
# (Management1.AddNode; meshd asks this app's ProvisionAgent1.PromptStatic for the 16 bytes and its
# Provisioner1.RequestProvData for the address). Run by tools/bluez/run.mjs on a private bus
# (DBUS_SESSION_BUS_ADDRESS: meshd's unit io uses the session bus).
#
# stdin, one JSON object a line: {"cmd": "add", "uuid": "<32 hex>", "oob": "<32 hex>"} | {"cmd": "quit"}
# stdout, one JSON object a line, each with t (time.time()): ready | prompt-static | prov-data |
#   complete {unicast, count} | failed {reason} | error {what}. The OOB value is never printed.
import json
import os
import sys
import time

import dbus
import dbus.service
import dbus.mainloop.glib
from gi.repository import GLib

MESH = 'org.bluez.mesh'
APP_PATH = '/bluez/ffs/provisioner'
ELEMENT_PATH = APP_PATH + '/ele00'
AGENT_PATH = APP_PATH + '/agent'
OM = 'org.freedesktop.DBus.ObjectManager'
PROPS = 'org.freedesktop.DBus.Properties'
UNICAST = 0x0100

state = {'token': None, 'node': None, 'oob': None, 'uuid': None}


def emit(ev, **kw):
    kw['ev'] = ev
    kw['t'] = time.time()
    sys.stdout.write(json.dumps(kw) + '\n')
    sys.stdout.flush()


def props_of(obj):
    return {iface: dict(p) for iface, p in obj.props().items()}


class Element(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, ELEMENT_PATH)

    def props(self):
        return {'org.bluez.mesh.Element1': {
            'Index': dbus.Byte(0),
            # Configuration Client (0x0001): what a provisioner carries; meshd adds the Config Server
            'Models': dbus.Array([dbus.Struct((dbus.UInt16(0x0001), dbus.Dictionary({}, signature='sv')), signature=None)], signature='(qa{sv})'),
            'VendorModels': dbus.Array([], signature='(qqa{sv})'),
            'Location': dbus.UInt16(0),
        }}

    @dbus.service.method('org.bluez.mesh.Element1', in_signature='qqvay', out_signature='')
    def MessageReceived(self, source, key, dest, data):
        pass

    @dbus.service.method('org.bluez.mesh.Element1', in_signature='qbqay', out_signature='')
    def DevKeyMessageReceived(self, source, remote, net_index, data):
        pass

    @dbus.service.method('org.bluez.mesh.Element1', in_signature='qa{sv}', out_signature='')
    def UpdateModelConfiguration(self, model_id, config):
        pass

    @dbus.service.method(PROPS, in_signature='ss', out_signature='v')
    def Get(self, iface, name):
        return self.props()[iface][name]

    @dbus.service.method(PROPS, in_signature='s', out_signature='a{sv}')
    def GetAll(self, iface):
        return self.props()[iface]


class Agent(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, AGENT_PATH)

    def props(self):
        return {'org.bluez.mesh.ProvisionAgent1': {
            'Capabilities': dbus.Array(['static-oob'], signature='s'),
        }}

    @dbus.service.method('org.bluez.mesh.ProvisionAgent1', in_signature='s', out_signature='ay')
    def PromptStatic(self, kind):
        emit('prompt-static', kind=str(kind))
        if not state['oob']:
            raise dbus.exceptions.DBusException('org.bluez.mesh.Error.Failed', 'no static OOB value')
        return dbus.Array(state['oob'], signature='y')

    @dbus.service.method('org.bluez.mesh.ProvisionAgent1', in_signature='', out_signature='')
    def Cancel(self):
        emit('agent-cancel')

    @dbus.service.method(PROPS, in_signature='ss', out_signature='v')
    def Get(self, iface, name):
        return self.props()[iface][name]

    @dbus.service.method(PROPS, in_signature='s', out_signature='a{sv}')
    def GetAll(self, iface):
        return self.props()[iface]


class App(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, APP_PATH)
        self.children = [Element(bus), Agent(bus)]

    def props(self):
        return {
            'org.bluez.mesh.Application1': {
                'CompanyID': dbus.UInt16(0x05F1),
                'ProductID': dbus.UInt16(0x0001),
                'VersionID': dbus.UInt16(0x0001),
                'CRPL': dbus.UInt16(0x7FFF),
            },
            'org.bluez.mesh.Provisioner1': {},
        }

    @dbus.service.method(OM, in_signature='', out_signature='a{oa{sa{sv}}}')
    def GetManagedObjects(self):
        objs = {APP_PATH: props_of(self)}
        for c in self.children:
            objs[c._object_path] = props_of(c)
        return objs

    @dbus.service.method(PROPS, in_signature='ss', out_signature='v')
    def Get(self, iface, name):
        return self.props()[iface][name]

    @dbus.service.method(PROPS, in_signature='s', out_signature='a{sv}')
    def GetAll(self, iface):
        return self.props()[iface]

    @dbus.service.method('org.bluez.mesh.Application1', in_signature='t', out_signature='')
    def JoinComplete(self, token):
        state['token'] = int(token)
        GLib.idle_add(attach)

    @dbus.service.method('org.bluez.mesh.Application1', in_signature='s', out_signature='')
    def JoinFailed(self, reason):
        emit('error', what='JoinFailed: ' + str(reason))
        loop.quit()

    @dbus.service.method('org.bluez.mesh.Provisioner1', in_signature='naya{sv}', out_signature='')
    def ScanResult(self, rssi, data, options):
        pass

    @dbus.service.method('org.bluez.mesh.Provisioner1', in_signature='y', out_signature='qq')
    def RequestProvData(self, count):
        emit('prov-data', count=int(count))
        return dbus.UInt16(0), dbus.UInt16(UNICAST)

    @dbus.service.method('org.bluez.mesh.Provisioner1', in_signature='ayqy', out_signature='')
    def AddNodeComplete(self, uuid, unicast, count):
        emit('complete', unicast=int(unicast), count=int(count), uuid=bytes(uuid).hex())

    @dbus.service.method('org.bluez.mesh.Provisioner1', in_signature='ays', out_signature='')
    def AddNodeFailed(self, uuid, reason):
        emit('failed', reason=str(reason), uuid=bytes(uuid).hex())


def attach():
    try:
        net.Attach(APP_PATH, dbus.UInt64(state['token']), reply_handler=attached, error_handler=attach_failed)
    except dbus.exceptions.DBusException as e:
        attach_failed(e)
    return False


def attached(node, _cfg):
    state['node'] = node
    emit('ready', node=str(node))


def attach_failed(e):
    emit('error', what='Attach: ' + e.get_dbus_message())
    loop.quit()


def on_stdin(fd, cond):
    line = sys.stdin.readline()
    if not line:
        loop.quit()
        return False
    try:
        m = json.loads(line)
    except ValueError:
        emit('error', what='stdin: not JSON')
        return True
    if m.get('cmd') == 'quit':
        loop.quit()
        return False
    if m.get('cmd') == 'add':
        try:
            uuid = bytes.fromhex(m['uuid'])
            oob = bytes.fromhex(m['oob'])
            if len(uuid) != 16 or len(oob) != 16:
                raise ValueError('uuid and oob are 16 bytes')
        except (KeyError, ValueError) as e:
            emit('error', what='add: ' + str(e))
            return True
        if not state['node']:
            emit('error', what='add: not attached yet')
            return True
        state['oob'] = list(oob)
        state['uuid'] = uuid
        mgmt = dbus.Interface(bus.get_object(MESH, state['node']), 'org.bluez.mesh.Management1')
        mgmt.AddNode(dbus.Array(list(uuid), signature='y'), dbus.Dictionary({}, signature='sv'),
                     reply_handler=lambda: emit('add-node', uuid=uuid.hex()),
                     error_handler=lambda e: emit('error', what='AddNode: ' + e.get_dbus_message()))
    return True


if __name__ == '__main__':
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    if not os.environ.get('DBUS_SESSION_BUS_ADDRESS'):
        sys.stderr.write('provisioner.py: DBUS_SESSION_BUS_ADDRESS is not set (meshd\'s bus)\n')
        sys.exit(2)
    bus = dbus.SessionBus()
    loop = GLib.MainLoop()
    app = App(bus)
    net = dbus.Interface(bus.get_object(MESH, '/org/bluez/mesh'), 'org.bluez.mesh.Network1')
    GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_IN | GLib.IO_HUP, on_stdin)
    u = bytearray(os.urandom(16))  # an RFC 4122 version 4 UUID (meshd checks l_uuid_is_valid)
    u[6] = (u[6] & 0x0F) | 0x40
    u[8] = (u[8] & 0x3F) | 0x80

    def create_failed(e):
        emit('error', what='CreateNetwork: ' + e.get_dbus_message())
        loop.quit()

    # asynchronous: meshd calls back into this app (GetManagedObjects, JoinComplete) before it answers
    net.CreateNetwork(APP_PATH, dbus.Array(list(u), signature='y'),
                      reply_handler=lambda: None, error_handler=create_failed)
    loop.run()
