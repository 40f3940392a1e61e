/* tests/credspec_sample.h - one valid credential spec with a CCG plugin password, for the suites that
 * need a spec to carry around (gmsa, service, cli). SAMPLE_SPEC_SECRET is what they search for in
 * messages, listings and freed memory. Compact, keys in the order gmsa_credspec_to_json writes them, so
 * a rendered copy compares equal to it. */
#ifndef WCTR_TESTS_CREDSPEC_SAMPLE_H
#define WCTR_TESTS_CREDSPEC_SAMPLE_H

#define SAMPLE_SPEC_SECRET "S3cret-Pa55"

static const char sample_spec[] =
    "{\"CmsPlugins\":[\"ActiveDirectory\"],\"DomainJoinConfig\":{\"Sid\":\"S-1-5-21-1-2-3\",\"MachineAccountName\":"
    "\"webapp01\",\"Guid\":\"244818ae-87ca-4fcd-92ec-e79e5252348a\",\"DnsTreeName\":\"contoso.com\",\"DnsName\":"
    "\"contoso.com\",\"NetBiosName\":\"CONTOSO\"},\"ActiveDirectoryConfig\":{\"GroupManagedServiceAccounts\":[{"
    "\"Name\":\"webapp01\",\"Scope\":\"contoso.com\"}],\"HostAccountConfig\":{\"PortableCcgVersion\":\"1\","
    "\"PluginGUID\":\"{859E1386-BDB4-49E8-85C7-3070B13920E1}\",\"PluginInput\":\"contoso.com:ccg:" SAMPLE_SPEC_SECRET
    "\"}}}";

#endif
