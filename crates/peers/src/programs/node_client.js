// The Node.js client peer: one mTLS request with node's https module, one JSON line out.
// Run by mtls-harness as `node node-client.js '<json options>'`.
'use strict';
const fs = require('fs');
const https = require('https');

const o = JSON.parse(process.argv[2]);
const done = (result) => {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
};
const options = {
  host: o.host,
  port: o.port,
  servername: o.servername,
  path: '/',
  method: 'GET',
  agent: false,
  headers: { Host: o.servername, Connection: 'close', 'User-Agent': 'mtls-harness-node' },
  ca: fs.readFileSync(o.ca),
  rejectUnauthorized: true,
  minVersion: o.minVersion,
  maxVersion: o.maxVersion,
};
if (o.cert) {
  options.cert = fs.readFileSync(o.cert);
  options.key = fs.readFileSync(o.key);
}
if (o.ecdhCurve) options.ecdhCurve = o.ecdhCurve;
// Resumption across processes: offer the session saved by an earlier run, save the new one.
if (o.sessionIn) options.session = fs.readFileSync(o.sessionIn);
if (o.ciphers) options.ciphers = o.ciphers;
let socket = null;
const req = https.request(options, (res) => {
  const s = res.socket;
  const cipher = s.getCipher() || {};
  const key = s.getEphemeralKeyInfo ? s.getEphemeralKeyInfo() || {} : {};
  const result = {
    status: res.statusCode,
    protocol: s.getProtocol(),
    cipher: cipher.standardName || cipher.name,
    group: key.name || null,
    reused: s.isSessionReused(),
  };
  res.resume();
  res.on('end', () => done(result));
  res.on('error', () => done(result));
});
req.on('socket', (s) => {
  socket = s;
  if (o.sessionOut) s.on('session', (session) => fs.writeFileSync(o.sessionOut, session));
});
req.on('error', (err) => done({ error: String(err.message), code: err.code || null }));
req.setTimeout(o.timeoutMs, () => {
  req.destroy();
  done({ error: 'timeout', code: 'TIMEOUT' });
});
req.end();
