/**
 * With no certificate configured, Vigil makes its own development CA and a
 * server certificate signed by it, once, in the data dir. Agents trust the CA
 * file; the server certificate names localhost, the loopback addresses and
 * this host's name.
 */
import forge from 'node-forge'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join, resolve } from 'node:path'

export interface TlsMaterial {
  cert: string
  key: string
  ca: string
  caFile: string
  created: boolean
}

export function loadOrCreateDevCa(dataDir: string): TlsMaterial {
  // Absolute, so the logged path works from wherever the operator reads it.
  const dir = resolve(dataDir, 'tls')
  const files = {
    ca: join(dir, 'ca.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server-key.pem'),
  }
  if (existsSync(files.ca) && existsSync(files.cert) && existsSync(files.key)) {
    const read = (f: string) => readFileSync(f, 'utf8')
    return {
      cert: read(files.cert),
      key: read(files.key),
      ca: read(files.ca),
      caFile: files.ca,
      created: false,
    }
  }

  const ca = makeCa()
  const server = makeServerCert(ca)
  mkdirSync(dir, { recursive: true })
  writeFileSync(files.ca, ca.certPem)
  writeFileSync(join(dir, 'ca-key.pem'), ca.keyPem, { mode: 0o600 })
  writeFileSync(files.cert, server.certPem)
  writeFileSync(files.key, server.keyPem, { mode: 0o600 })
  return {
    cert: server.certPem,
    key: server.keyPem,
    ca: ca.certPem,
    caFile: files.ca,
    created: true,
  }
}

interface Issued {
  cert: forge.pki.Certificate
  keys: forge.pki.rsa.KeyPair
  certPem: string
  keyPem: string
}

function makeCa(): Issued {
  const keys = forge.pki.rsa.generateKeyPair(2048)
  const cert = baseCert(keys.publicKey, 10)
  const subject = [{ name: 'commonName', value: 'Vigil development CA' }]
  cert.setSubject(subject)
  cert.setIssuer(subject)
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ])
  cert.sign(keys.privateKey, forge.md.sha256.create())
  return pems(cert, keys)
}

function makeServerCert(ca: Issued): Issued {
  const keys = forge.pki.rsa.generateKeyPair(2048)
  const cert = baseCert(keys.publicKey, 2)
  cert.setSubject([{ name: 'commonName', value: 'localhost' }])
  cert.setIssuer(ca.cert.subject.attributes)
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 2, value: hostname() },
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
      ],
    },
  ])
  cert.sign(ca.keys.privateKey, forge.md.sha256.create())
  return pems(cert, keys)
}

function baseCert(publicKey: forge.pki.PublicKey, years: number) {
  const cert = forge.pki.createCertificate()
  cert.publicKey = publicKey
  cert.serialNumber = '01' + forge.util.bytesToHex(forge.random.getBytesSync(15))
  cert.validity.notBefore = new Date(Date.now() - 60_000)
  cert.validity.notAfter = new Date(Date.now() + years * 365 * 24 * 3600_000)
  return cert
}

function pems(cert: forge.pki.Certificate, keys: forge.pki.rsa.KeyPair): Issued {
  return {
    cert,
    keys,
    certPem: forge.pki.certificateToPem(cert),
    keyPem: forge.pki.privateKeyToPem(keys.privateKey),
  }
}
