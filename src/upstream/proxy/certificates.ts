import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

/** A run's own certificate authority and one leaf certificate for every declared host, in PEM. */
export interface ProxyCertificates {
  /** The CA certificate the target is told to trust (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE...). */
  caPem: string;
  /** The leaf: every declared host in its subjectAltName, signed by the CA. */
  certPem: string;
  keyPem: string;
}

/**
 * Makes a fresh CA and a leaf certificate for `hosts`. Keys come from node's
 * crypto (native, fast); the X.509 structures and signatures from node-forge:
 * no hand-rolled crypto. The CA's private key is dropped when this returns, so
 * nothing can sign with it after the run's certificates are made; it is valid
 * for a day, and the caller writes only its certificate, inside the run folder.
 */
export async function makeProxyCertificates(hosts: readonly string[]): Promise<ProxyCertificates> {
  // Both key pairs at once: node makes them off the main thread.
  const [caKeys, leafKeys] = await Promise.all([rsaKeys(), rsaKeys()]);
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = serial();
  setValidity(ca);
  const caName = [{ name: 'commonName', value: 'retryproof per-run CA (test only)' }, { name: 'organizationName', value: 'retryproof' }];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const leaf = forge.pki.createCertificate();
  leaf.publicKey = leafKeys.publicKey;
  leaf.serialNumber = serial();
  setValidity(leaf);
  leaf.setSubject([{ name: 'commonName', value: hosts[0] ?? 'localhost' }]);
  leaf.setIssuer(caName);
  leaf.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    // Python's ssl (3.13+) and OpenSSL 3 strict mode want the key identifiers.
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
    { name: 'subjectKeyIdentifier' },
    { name: 'subjectAltName', altNames: hosts.map((host) => (isIp(host) ? { type: 7, ip: host } : { type: 2, value: host })) },
  ]);
  leaf.sign(caKeys.privateKey, forge.md.sha256.create());

  return { caPem: forge.pki.certificateToPem(ca), certPem: forge.pki.certificateToPem(leaf), keyPem: forge.pki.privateKeyToPem(leafKeys.privateKey) };
}

const generateKeyPairAsync = promisify(generateKeyPair);

async function rsaKeys(): Promise<{ publicKey: forge.pki.rsa.PublicKey; privateKey: forge.pki.rsa.PrivateKey }> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKey: forge.pki.publicKeyFromPem(publicKey), privateKey: forge.pki.privateKeyFromPem(privateKey) };
}

/** A positive 16-byte serial in hex (a leading 0 nibble keeps it positive in DER). */
function serial(): string {
  return `0${randomBytes(16).toString('hex').slice(1)}`;
}

function setValidity(cert: forge.pki.Certificate): void {
  // An hour back for clock skew between the harness and the target's view; a day ahead is longer than any run.
  cert.validity.notBefore = new Date(Date.now() - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 60 * 60 * 1000);
}

function isIp(host: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':');
}
