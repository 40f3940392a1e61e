#!/usr/bin/env python3
"""Generates hcsd_schema_table.c, the type table the DLL doubles validate documents against.

Usage: gen_schema_table.py SCHEMA.json > hcsd_schema_table.c

SCHEMA.json is the project's extract of the HCS schema 2.x field lists ("types": {Type: {Field: T}},
T one of string, bool, int32, uint32, int64, uint64, uint8, uint16, number, guid, any, {"ref": Type},
["array", T], ["map", T]), itself derived from microsoft/hcsshim internal/hcs/schema2. The generated C
file is committed; the build never runs this script and never reads the schema file, so the double
keeps working from a checkout alone. Re-run it by hand when the schema extract changes.

Only the types reachable from the documents a client hands to HCS are emitted (ROOTS). The extract
types every enumeration and GUID as a plain "string"; SUPPLEMENT below narrows those that Microsoft's
HCS schema reference (virtualization/api/hcs/SchemaReference.md) documents as enumerations or Guid,
where the double rejects other values as HCS does.
"""
import json
import sys
import textwrap

# Documents HCS receives: compute-system configuration, process parameters, the options of the
# system calls that take some, modify requests (system, process, service), property queries, and the
# layer documents of computestorage.dll.
ROOTS = [
    "ComputeSystem",
    "ProcessParameters",
    "ProcessModifyRequest",
    "SignalProcessOptions",
    "ModifySettingRequest",
    "ModificationRequest",
    "ContainerCredentialGuardOperationRequest",
    "ContainerCredentialGuardAddInstanceRequest",
    "ContainerCredentialGuardRemoveInstanceRequest",
    "HostProcessorModificationRequest",
    "CreateGroupOperation",
    "DeleteGroupOperation",
    "PropertyQuery",
    "StartOptions",
    "PauseOptions",
    "ProcessorLimits",
    "LayerData",
    "OsLayerOptions",
    "SystemQuery",
    "GuestModifySettingRequest",
    "WcowMappedVirtualDisk",
    "WcowCombinedLayers",
    # computenetwork.dll's documents (the networking double) and the utility VM's network guest requests
    "HostComputeNetwork",
    "HostComputeEndpoint",
    "HostComputeNamespace",
    "HostComputeQuery",
    "ModifyNamespaceSettingRequest",
    "HcnNamespaceEndpointRequest",
    "PortMappingPolicySetting",
    "GuestNetworkModifyRequest",
]

# Types the extract lacks, as SchemaReference.md defines them: the options of HcsSignalProcess, the
# documents of computestorage.dll's layer functions and HcsEnumerateComputeSystems' SystemQuery; and the
# guest requests of a utility VM's ModifySettingRequest.GuestRequest as hcsshim writes them
# (internal/protocol/guestrequest/types.go ModificationRequest, internal/protocol/guestresource/resources.go
# WCOWMappedVirtualDisk and WCOWCombinedLayers).
EXTRA_TYPES = {
    "SignalProcessOptions": {"Signal": "string"},
    "LayerData": {"SchemaVersion": {"ref": "Version"}, "Layers": ["array", {"ref": "Layer"}]},
    "OsLayerOptions": {"Type": "string", "DisableCiCacheOptimization": "bool", "SkipUpdateBcdForBoot": "bool"},
    "SystemQuery": {"Ids": ["array", "string"], "Names": ["array", "string"], "Types": ["array", "string"],
                    "Owners": ["array", "string"]},
    "GuestModifySettingRequest": {"ResourceType": "string", "RequestType": "string", "Settings": "any"},
    "WcowMappedVirtualDisk": {"ContainerPath": "string", "Lun": "int32"},
    "WcowCombinedLayers": {"ContainerRootPath": "string", "Layers": ["array", {"ref": "Layer"}],
                           "ScratchPath": "string", "FilterType": "string"},
    # HNS v2, hcsshim's hcn package (hcnnetwork.go, hcnendpoint.go, hcnnamespace.go, hcnpolicy.go, hcn.go):
    # the JSON names of HostComputeNetwork, HostComputeEndpoint, HostComputeNamespace, their parts and
    # HostComputeQuery; Hcn-prefixed where hcsshim's own name is too general for one table. Health and the
    # policies' Settings are typed "any" (their shape depends on Type; PortMapping's is checked on its own).
    "HostComputeNetwork": {"ID": "string", "Name": "string", "Type": "string",
                           "Policies": ["array", {"ref": "HcnNetworkPolicy"}], "MacPool": {"ref": "HcnMacPool"},
                           "Dns": {"ref": "HcnDns"}, "Ipams": ["array", {"ref": "HcnIpam"}], "Flags": "uint32",
                           "Health": "any", "SchemaVersion": {"ref": "Version"}},
    "HcnNetworkPolicy": {"Type": "string", "Settings": "any"},
    "HcnMacPool": {"Ranges": ["array", {"ref": "HcnMacRange"}]},
    "HcnMacRange": {"StartMacAddress": "string", "EndMacAddress": "string"},
    "HcnDns": {"Domain": "string", "Search": ["array", "string"], "ServerList": ["array", "string"],
               "Options": ["array", "string"]},
    "HcnIpam": {"Type": "string", "Subnets": ["array", {"ref": "HcnSubnet"}]},
    "HcnSubnet": {"IpAddressPrefix": "string", "Policies": ["array", "any"], "Routes": ["array", {"ref": "HcnRoute"}],
                  "Flags": "uint32"},
    "HcnRoute": {"NextHop": "string", "DestinationPrefix": "string", "Metric": "uint16"},
    "HostComputeEndpoint": {"ID": "string", "Name": "string", "HostComputeNetwork": "string",
                            "HostComputeNamespace": "string", "Policies": ["array", {"ref": "HcnEndpointPolicy"}],
                            "IpConfigurations": ["array", {"ref": "HcnIpConfig"}], "Dns": {"ref": "HcnDns"},
                            "Routes": ["array", {"ref": "HcnRoute"}], "MacAddress": "string", "Flags": "uint32",
                            "Health": "any", "SchemaVersion": {"ref": "Version"}},
    "HcnEndpointPolicy": {"Type": "string", "Settings": "any"},
    "HcnIpConfig": {"IpAddress": "string", "PrefixLength": "uint8"},
    "PortMappingPolicySetting": {"Protocol": "uint32", "InternalPort": "uint16", "ExternalPort": "uint16",
                                 "VIP": "string", "Flags": "uint32"},
    "HostComputeNamespace": {"ID": "string", "NamespaceId": "uint32", "Type": "string",
                             "Resources": ["array", {"ref": "HcnNamespaceResource"}], "SchemaVersion": {"ref": "Version"}},
    "HcnNamespaceResource": {"Type": "string", "Data": "any"},
    "ModifyNamespaceSettingRequest": {"ResourceType": "string", "RequestType": "string", "Settings": "any"},
    "HcnNamespaceEndpointRequest": {"EndpointId": "string"},
    "HostComputeQuery": {"SchemaVersion": {"ref": "Version"}, "Flags": "uint32", "Filter": "string"},
    # hcsshim's internal/protocol/guestrequest NetworkModifyRequest: the Settings of a utility VM's
    # "Network" guest request.
    "GuestNetworkModifyRequest": {"AdapterId": "string", "RequestType": "string", "Settings": "any"},
}

PATH_TYPE = ["AbsolutePath", "VirtualSmbShareName"]
TRANSPORT = ["LRPC", "HvSocket"]

# (Type, Field) -> {"enum": [...]} | {"guid": True} | {"len": n}. From SchemaReference.md's enum
# and Guid tables; only fields of the types above.
SUPPLEMENT = {
    ("Layer", "Id"): {"guid": True},
    ("Layer", "PathType"): {"enum": PATH_TYPE},
    ("Layer", "Cache"): {"enum": ["Unspecified", "Disabled", "Enabled", "Private", "PrivateAllowSharing"]},
    ("MappedDirectory", "HostPathType"): {"enum": PATH_TYPE},
    ("MappedPipe", "HostPathType"): {"enum": ["AbsolutePath", "VirtualSmbPipeName"]},
    ("RegistryKey", "Hive"): {"enum": ["System", "Software", "Security", "Sam"]},
    ("RegistryValue", "Type"): {"enum": ["None", "String", "ExpandedString", "MultiString", "Binary",
                                         "DWord", "QWord", "CustomType"]},
    ("Networking", "NetworkAdapters"): {"guid": True},
    ("NetworkAdapter", "EndpointId"): {"guid": True},
    ("Device", "InterfaceClassGuid"): {"guid": True},
    ("Device", "Type"): {"enum": ["ClassGuid", "DeviceInstance", "GpuMirror"]},
    ("Attachment", "Type"): {"enum": ["VirtualDisk", "Iso", "PassThru"]},
    ("Attachment", "CachingMode"): {"enum": ["Uncached", "Cached", "ReadOnlyCached"]},
    ("UefiBootEntry", "DeviceType"): {"enum": ["ScsiDrive", "VmbFs", "Network", "File"]},
    ("Uefi", "SecureBootTemplateId"): {"guid": True},
    ("CpuGroup", "Id"): {"guid": True},
    ("CreateGroupOperation", "GroupId"): {"guid": True},
    ("DeleteGroupOperation", "GroupId"): {"guid": True},
    ("FlexibleIoDevice", "EmulatorId"): {"guid": True},
    ("InterfaceClass", "identifier"): {"guid": True},
    ("PauseOptions", "SuspensionLevel"): {"enum": ["Suspend", "MemoryLow", "MemoryMedium", "MemoryHigh"]},
    ("ContainerCredentialGuardState", "Transport"): {"enum": TRANSPORT},
    ("ContainerCredentialGuardAddInstanceRequest", "Transport"): {"enum": TRANSPORT},
    ("ContainerCredentialGuardOperationRequest", "Operation"): {"enum": ["AddInstance", "RemoveInstance"]},
    ("HostProcessorModificationRequest", "Operation"): {"enum": ["CreateGroup", "DeleteGroup", "SetProperty"]},
    ("ModificationRequest", "PropertyType"): {"enum": ["CpuGroup", "ContainerCredentialGuard"]},
    ("ModifySettingRequest", "RequestType"): {"enum": ["Add", "Remove", "Update"]},
    ("ProcessModifyRequest", "Operation"): {"enum": ["ConsoleSize", "CloseHandle"]},
    ("CloseHandle", "Handle"): {"enum": ["StdIn", "StdOut", "StdErr", "All"]},
    ("SignalProcessOptions", "Signal"): {"enum": ["CtrlC", "CtrlBreak", "CtrlClose", "CtrlLogOff",
                                                  "CtrlShutdown"]},
    ("OsLayerOptions", "Type"): {"enum": ["Container", "Vm"]},
    ("SystemQuery", "Types"): {"enum": ["Container", "VirtualMachine"]},
    ("GuestModifySettingRequest", "RequestType"): {"enum": ["Add", "Remove", "PreAdd", "Update"]},
    ("GuestModifySettingRequest", "ResourceType"): {"enum": [
        "MappedDirectory", "SCSIDevice", "MappedVirtualDisk", "MappedVirtualDiskForContainerScratch",
        "WCOWBlockCims", "Network", "NetworkNamespace", "CombinedLayers", "CWCOWCombinedLayers", "VPMemDevice",
        "VPCIDevice", "ContainerConstraints", "HvSocket", "SecurityPolicy", "SecurityPolicyFragment",
        "PodCgroupMemoryLimit"]},
    ("WcowCombinedLayers", "FilterType"): {"enum": ["WCIFS", "UnionFS"]},
    ("Networking", "Namespace"): {"guid": True},
    ("HostComputeNetwork", "ID"): {"guid": True},
    ("HostComputeNetwork", "Type"): {"enum": ["NAT", "Transparent", "L2Bridge", "L2Tunnel", "ICS", "Private",
                                              "Overlay"]},
    ("HcnNetworkPolicy", "Type"): {"enum": ["SourceMacAddress", "NetAdapterName", "VSwitchExtension", "DrMacAddress",
                                            "AutomaticDNS", "InterfaceConstraint", "ProviderAddress",
                                            "RemoteSubnetRoute", "VxlanPort", "HostRoute", "SetPolicy", "L4Proxy",
                                            "LayerConstraint", "NetworkACL"]},
    ("HcnIpam", "Type"): {"enum": ["Static", "DHCP"]},
    ("HostComputeEndpoint", "ID"): {"guid": True},
    ("HostComputeEndpoint", "HostComputeNetwork"): {"guid": True},
    ("HostComputeEndpoint", "HostComputeNamespace"): {"guid": True},
    ("HcnEndpointPolicy", "Type"): {"enum": ["PortMapping", "ACL", "QOS", "L2Driver", "OutBoundNAT", "SDNRoute",
                                             "L4Proxy", "L4WFPPROXY", "PortName", "EncapOverhead", "Iov",
                                             "ProviderAddress", "InterfaceConstraint", "TierAcl"]},
    ("HostComputeNamespace", "ID"): {"guid": True},
    ("HostComputeNamespace", "Type"): {"enum": ["Host", "HostDefault", "Guest", "GuestDefault"]},
    ("HcnNamespaceResource", "Type"): {"enum": ["Container", "Endpoint"]},
    ("ModifyNamespaceSettingRequest", "ResourceType"): {"enum": ["Container", "Endpoint"]},
    ("ModifyNamespaceSettingRequest", "RequestType"): {"enum": ["Add", "Remove", "Update", "Refresh"]},
    ("HcnNamespaceEndpointRequest", "EndpointId"): {"guid": True},
    ("GuestNetworkModifyRequest", "AdapterId"): {"guid": True},
    ("GuestNetworkModifyRequest", "RequestType"): {"enum": ["Add", "Remove", "PreAdd", "Update"]},
    # "height then width": exactly two numbers.
    ("ProcessParameters", "ConsoleSize"): {"len": 2},
}

SCALARS = {
    "string": "HV_STRING", "bool": "HV_BOOL", "int32": "HV_INT32", "uint32": "HV_UINT32",
    "int64": "HV_INT64", "uint64": "HV_UINT64", "uint8": "HV_UINT8", "uint16": "HV_UINT16",
    "number": "HV_NUMBER", "guid": "HV_GUID", "any": "HV_ANY",
}


def refs_of(ty):
    if isinstance(ty, dict):
        return [ty["ref"]]
    if isinstance(ty, list):
        if isinstance(ty[1], list):
            sys.exit("nested containers are not supported: %r" % (ty,))
        return refs_of(ty[1])
    return []


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    types = dict(schema["types"])
    for name, fields in EXTRA_TYPES.items():
        if name in types:
            sys.exit("%s is in the schema now: drop it from EXTRA_TYPES" % name)
        types[name] = fields

    reachable, todo = set(), list(ROOTS)
    while todo:
        name = todo.pop()
        if name in reachable:
            continue
        if name not in types:
            sys.exit("unknown type %s" % name)
        reachable.add(name)
        for ty in types[name].values():
            todo.extend(refs_of(ty))
    for (tname, fname) in SUPPLEMENT:
        if tname not in reachable or fname not in types[tname]:
            sys.exit("supplement names %s.%s, which is not in the table" % (tname, fname))

    names = sorted(reachable)
    index = {n: i for i, n in enumerate(names)}
    out = []
    w = out.append
    w("/* tests/hcs_double/kit/hcsd_schema_table.c - GENERATED by gen_schema_table.py; do not edit.")
    w(" *")
    w(" * The %d HCS schema 2.x types reachable from the documents the doubles receive, with the" % len(names))
    w(" * enumerations and Guid fields of Microsoft's HCS schema reference (SUPPLEMENT). Roots:")
    for line in textwrap.wrap(", ".join(ROOTS) + ".", 96):
        w(" *   " + line)
    w(" */")
    w('#include "hcsd_schema.h"')
    w("")
    w("#include <stddef.h>")
    w("")
    enums = {}
    for (tname, fname), sup in sorted(SUPPLEMENT.items()):
        if "enum" in sup:
            key = tuple(sup["enum"])
            if key not in enums:
                cname = "enum_%s_%s" % (tname, fname)
                enums[key] = cname
                vals = ", ".join('"%s"' % v for v in key)
                w("static const char *const %s[] = {%s, NULL};" % (cname, vals))
    w("")
    for name in names:
        fields = types[name]
        w("static const hv_field fields_%s[] = {" % name)
        if not fields:
            w("    {NULL, HV_NONE, HV_NONE, -1, NULL, 0},")
        for fname in sorted(fields):
            ty = fields[fname]
            sup = SUPPLEMENT.get((name, fname), {})
            kind, elem, ref = None, "HV_NONE", -1
            if isinstance(ty, list):
                kind = "HV_ARRAY" if ty[0] == "array" else "HV_MAP"
                inner = ty[1]
                if isinstance(inner, dict):
                    elem, ref = "HV_OBJECT", index[inner["ref"]]
                else:
                    elem = SCALARS[inner]
                if sup.get("guid"):
                    if elem != "HV_STRING":
                        sys.exit("guid supplement on non-string %s.%s" % (name, fname))
                    elem = "HV_GUID"
            elif isinstance(ty, dict):
                kind, ref = "HV_OBJECT", index[ty["ref"]]
            else:
                kind = SCALARS[ty]
                if sup.get("guid"):
                    if kind != "HV_STRING":
                        sys.exit("guid supplement on non-string %s.%s" % (name, fname))
                    kind = "HV_GUID"
            enum = enums[tuple(sup["enum"])] if "enum" in sup else "NULL"
            w('    {"%s", %s, %s, %d, %s, %d},' % (fname, kind, elem, ref, enum, sup.get("len", 0)))
        w("};")
    w("")
    w("const hv_type hcsd_schema_types[] = {")
    for name in names:
        n = len(types[name])
        w('    {"%s", fields_%s, %d},' % (name, name, n))
    w("};")
    w("const size_t hcsd_schema_type_count = sizeof hcsd_schema_types / sizeof hcsd_schema_types[0];")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
