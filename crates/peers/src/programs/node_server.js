// The Node.js server peer: node's https module with requestCert, rejectUnauthorized and crl,
// and an OCSP staple of its own certificate (the DER response in the file `staple`, given to
// every client that asks through the OCSPRequest event).
// Run by mtls-harness as `node node-server.js '<json options>'`; prints `listening on ADDR`
// once it accepts, and one JSON line per client it refused (its own error output).
'use strict';
const fs = require('fs');
const https = require('https');
const crypto = require('crypto');
const tls = require('tls');

const o = JSON.parse(process.argv[2]);
const pemBlocks = (text, label) =>
  text.match(new RegExp(`-----BEGIN ${label}-----[^-]+-----END ${label}-----`, 'g')) || [];
const options = {
  cert: fs.readFileSync(o.cert),
  key: fs.readFileSync(o.key),
  requestCert: o.requestCert,
  rejectUnauthorized: o.rejectUnauthorized,
  minVersion: o.minVersion,
  maxVersion: o.maxVersion,
};
if (o.ca) options.ca = fs.readFileSync(o.ca);
// One CRL per entry: node reads the first CRL of each PEM it is given.
if (o.crl) options.crl = pemBlocks(fs.readFileSync(o.crl, 'utf8'), 'X509 CRL');
if (o.ciphers) options.ciphers = o.ciphers;
if (o.ecdhCurve) options.ecdhCurve = o.ecdhCurve;
if (o.noTickets) options.secureOptions = crypto.constants.SSL_OP_NO_TICKET;
// stdout carries the ready line only (the harness reads and discards it); refusals go to
// stderr, which is the peer's log.
const say = (line) => process.stderr.write(JSON.stringify(line) + '\n');
const server = https.createServer(options, (req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', Connection: 'close' });
  res.end('ok\n');
});
if (o.sessionCache) {
  // Stateful resumption (session IDs): node keeps no server sessions unless asked to.
  const sessions = new Map();
  server.on('newSession', (id, data, cb) => {
    if (sessions.size > 100000) sessions.clear();
    sessions.set(id.toString('hex'), data);
    cb();
  });
  server.on('resumeSession', (id, cb) => cb(null, sessions.get(id.toString('hex')) || null));
}
if (o.staple) {
  const staple = fs.readFileSync(o.staple);
  server.on('OCSPRequest', (_cert, _issuer, cb) => cb(null, staple));
}
server.on('tlsClientError', (err) => say({ refused: err.code || null, error: String(err.message) }));
// With rejectUnauthorized, node destroys a socket whose client chain failed verification right
// after the handshake and emits no event for it; this wrapper only logs node's reason before
// node's own destroy() runs (the behaviour under test is unchanged).
const destroy = tls.TLSSocket.prototype.destroy;
tls.TLSSocket.prototype.destroy = function (...args) {
  if (this._requestCert && this._rejectUnauthorized && this.authorizationError && !this._refusalLogged) {
    this._refusalLogged = true;
    say({ refused: String(this.authorizationError), after_handshake: true });
  }
  return destroy.apply(this, args);
};
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`listening on ${a.address}:${a.port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
