// The Java JSSE server peer: an SSLServerSocket over an SSLContext whose trust manager
// validates client chains with PKIX (CRLs from a file through a CertStore, or OCSP against the
// harness's responder; a PKIXRevocationChecker with SOFT_FAIL when asked),
// needClientAuth/wantClientAuth, versions and suites; one pooled thread per connection answers
// GET with a small 200. (Not com.sun.net.httpserver: its HttpsServer closes a failed handshake without
// sending JSSE's alert.) Compiled by mtls-harness with javac on first use and run as
// `java -cp DIR JavaServer key=value...`; prints `listening on ADDR` once it accepts; each
// refusal goes to stderr with JSSE's reason. Options are `key=value` words (no JSON parser in
// the JDK): cert, key (PKCS#8 PEM), ca, crl, ocsp (the responder's URL: OCSP instead of CRLs),
// softFail, crlAll (every CA of the chain, not the leaf only), clientAuth, protocols (comma
// list), suites (comma list). OCSP stapling of its own certificate and the OCSP timeouts are
// JVM properties (jdk.tls.server.enableStatusRequestExtension, ...) set on the command line.
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public class JavaServer {
  static byte[] pemBody(String pem, String label) {
    String begin = "-----BEGIN " + label + "-----";
    int start = pem.indexOf(begin);
    int end = pem.indexOf("-----END " + label + "-----");
    if (start < 0 || end < 0) throw new IllegalArgumentException("no " + label + " in PEM");
    return Base64.getMimeDecoder().decode(pem.substring(start + begin.length(), end));
  }

  static PrivateKey key(String pem) throws Exception {
    byte[] der = pemBody(pem, "PRIVATE KEY");
    for (String alg : new String[] {"EC", "RSA", "Ed25519", "RSASSA-PSS"}) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (Exception e) {
        // the next algorithm
      }
    }
    throw new IllegalArgumentException("unsupported private key");
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> o = new HashMap<>();
    for (String a : args) {
      int eq = a.indexOf('=');
      if (eq > 0) o.put(a.substring(0, eq), a.substring(eq + 1));
    }
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    List<Certificate> chain = new ArrayList<>(
        cf.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(Path.of(o.get("cert"))))));
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    char[] pw = "mtls".toCharArray();
    ks.setKeyEntry("server", key(Files.readString(Path.of(o.get("key")))), pw,
        chain.toArray(new Certificate[0]));
    // SunX509 reads the key out of the store once, at init. PKIX's key manager (NewSunX509)
    // fetches it from the store on every handshake, and a PKCS12 store keeps it encrypted with
    // PBES2 (PBKDF2, 10,000 HMAC-SHA256 rounds): that cost ~34 ms of CPU per handshake, all of
    // the server's time (measured with jstack: handshake threads in PBKDF2KeyImpl.deriveKey).
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
    kmf.init(ks, pw);

    String clientAuth = o.getOrDefault("clientAuth", "off");
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    if (!clientAuth.equals("off")) {
      Set<TrustAnchor> anchors = new HashSet<>();
      for (Certificate c : cf.generateCertificates(
          new ByteArrayInputStream(Files.readAllBytes(Path.of(o.get("ca")))))) {
        anchors.add(new TrustAnchor((X509Certificate) c, null));
      }
      PKIXBuilderParameters p = new PKIXBuilderParameters(anchors, new X509CertSelector());
      String crl = o.getOrDefault("crl", "");
      String ocsp = o.getOrDefault("ocsp", "");
      if (!ocsp.isEmpty()) {
        PKIXRevocationChecker rc =
            (PKIXRevocationChecker) CertPathBuilder.getInstance("PKIX").getRevocationChecker();
        // OCSP only (no CRL fallback), the leaf only (the responder answers for leaves), at the
        // harness's responder (the client certificates' AIA names the same URL); soft-fail
        // when asked.
        rc.setOcspResponder(URI.create(ocsp));
        EnumSet<PKIXRevocationChecker.Option> opts = EnumSet.of(
            PKIXRevocationChecker.Option.NO_FALLBACK,
            PKIXRevocationChecker.Option.ONLY_END_ENTITY);
        if (o.getOrDefault("softFail", "false").equals("true")) {
          opts.add(PKIXRevocationChecker.Option.SOFT_FAIL);
        }
        rc.setOptions(opts);
        p.addCertPathChecker(rc);
        p.setRevocationEnabled(true);
      } else if (crl.isEmpty()) {
        p.setRevocationEnabled(false);
      } else {
        p.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(
            cf.generateCRLs(new ByteArrayInputStream(Files.readAllBytes(Path.of(crl)))))));
        PKIXRevocationChecker rc =
            (PKIXRevocationChecker) CertPathBuilder.getInstance("PKIX").getRevocationChecker();
        // CRLs only (no OCSP, no fetching), the leaf only unless crlAll=true, soft-fail when
        // asked.
        EnumSet<PKIXRevocationChecker.Option> opts = EnumSet.of(
            PKIXRevocationChecker.Option.PREFER_CRLS, PKIXRevocationChecker.Option.NO_FALLBACK);
        if (!o.getOrDefault("crlAll", "false").equals("true")) {
          opts.add(PKIXRevocationChecker.Option.ONLY_END_ENTITY);
        }
        if (o.getOrDefault("softFail", "false").equals("true")) {
          opts.add(PKIXRevocationChecker.Option.SOFT_FAIL);
        }
        rc.setOptions(opts);
        p.addCertPathChecker(rc);
        p.setRevocationEnabled(true);
      }
      tmf.init(new CertPathTrustManagerParameters(p));
    } else {
      tmf.init((KeyStore) null);
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);

    SSLServerSocket server = (SSLServerSocket) ctx.getServerSocketFactory()
        .createServerSocket(0, 1024, InetAddress.getByName("127.0.0.1"));
    server.setEnabledProtocols(o.getOrDefault("protocols", "TLSv1.3").split(","));
    String suites = o.getOrDefault("suites", "");
    if (!suites.isEmpty()) server.setEnabledCipherSuites(suites.split(","));
    if (clientAuth.equals("required")) server.setNeedClientAuth(true);
    if (clientAuth.equals("optional")) server.setWantClientAuth(true);
    System.out.println("listening on 127.0.0.1:" + server.getLocalPort());
    System.out.flush();
    // One pooled thread per connection: a thread is reused for the next connection instead of
    // exiting, so the harness's CPU reading (the live threads' schedstat) counts the
    // handshakes' CPU, which a thread that exited took with it (measured: 3.7 ms/handshake
    // reported, 34 ms/handshake in /proc/PID/stat).
    ExecutorService pool = Executors.newCachedThreadPool();
    while (true) {
      SSLSocket s = (SSLSocket) server.accept();
      // JSSE writes its flight as several small records: with Nagle's algorithm each waited for
      // the client's delayed ACK (measured at one connection in flight: 50.6 ms per handshake,
      // 5.3 ms with TCP_NODELAY).
      s.setTcpNoDelay(true);
      pool.execute(() -> serve(s));
    }
  }

  // One request: the handshake (its failure logged with JSSE's reason), the request's
  // headers, a 200.
  static void serve(SSLSocket s) {
    try (s) {
      s.setSoTimeout(30000);
      s.startHandshake();
      InputStream in = s.getInputStream();
      int matched = 0;
      byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      while (matched < end.length) {
        int b = in.read();
        if (b < 0) return;
        matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
      }
      OutputStream out = s.getOutputStream();
      out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
          + "Connection: close\r\n\r\nok\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
    } catch (Exception e) {
      System.err.println("refused " + s.getRemoteSocketAddress() + ": " + e);
    }
  }
}
