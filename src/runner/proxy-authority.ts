import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Scenario } from '../scenario/load.js';
import { declaredHosts } from '../scenario/load.js';
import { makeProxyCertificates, type ProxyCertificates } from '../upstream/proxy/certificates.js';

/** A run's CA for proxy mode: its certificates, and the one file the target is told to trust. */
export interface ProxyAuthority {
  certificates: ProxyCertificates;
  /** The CA certificate (no key), inside the run folder. */
  caFile: string;
}

/**
 * Proxy mode's CA, made once per run when an upstream declares a host. Only
 * the CA's certificate is written, and only inside the run folder; no key
 * touches the disk and nothing goes near the system's trust store.
 */
export async function prepareProxyAuthority(scenario: Scenario, runDir: string): Promise<ProxyAuthority | undefined> {
  const hosts = Object.values(scenario.upstreams).flatMap((upstream) => declaredHosts(upstream));
  if (hosts.length === 0) return undefined;
  const certificates = await makeProxyCertificates(hosts);
  const caFile = path.join(runDir, 'proxy-ca.pem');
  writeFileSync(caFile, certificates.caPem, { mode: 0o644 });
  return { certificates, caFile };
}
