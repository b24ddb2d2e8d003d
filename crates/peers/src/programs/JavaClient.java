// The Java JSSE client peer: one JVM per case that makes one mTLS request per line on its
// stdin (`full` or `resume`) and answers each with one JSON line on stdout, so sessions live in
// an SSLContext's client session cache inside the process (JSSE cannot carry a session to
// another process). A full handshake runs on a new SSLContext (an empty cache), which then
// holds its session; a resuming one reuses the last context. Compiled by mtls-harness with
// javac on first use and run as `java -cp DIR JavaClient key=value...`; prints `ready` once it
// reads requests. Options are `key=value` words (no JSON parser in the JDK): port, ca, cert,
// key (PKCS#8 PEM), protocols, suites (comma lists), resumption, timeoutMs. Groups are the
// JVM-wide property jdk.tls.namedGroups, set on the command line.
//
// The key manager always offers the case's credential, whatever CA names the server's
// CertificateRequest lists (JSSE's own would send no certificate for an unknown CA), and the
// trust manager records whether it was asked: a handshake that completed without checking
// the server's chain was resumed. Errors are printed as JSSE writes them (`Received fatal
// alert: certificate_unknown`); the harness maps them to outcome classes.
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

public class JavaClient {
  static Map<String, String> o = new HashMap<>();
  static X509Certificate[] chain;
  static PrivateKey key;
  static X509ExtendedTrustManager pkix;
  static volatile boolean serverChecked;

  static byte[] pemBody(String pem, String label) {
    String begin = "-----BEGIN " + label + "-----";
    int start = pem.indexOf(begin);
    int end = pem.indexOf("-----END " + label + "-----");
    if (start < 0 || end < 0) throw new IllegalArgumentException("no " + label + " in PEM");
    return Base64.getMimeDecoder().decode(pem.substring(start + begin.length(), end));
  }

  static PrivateKey key(String pem) {
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

  /** Offers the one credential of the case, whatever the server asks for. */
  static class OneCredential extends X509ExtendedKeyManager {
    public String chooseClientAlias(String[] types, Principal[] issuers, Socket s) {
      return chain == null ? null : "client";
    }

    public String chooseEngineClientAlias(String[] types, Principal[] issuers, SSLEngine e) {
      return chooseClientAlias(types, issuers, null);
    }

    public X509Certificate[] getCertificateChain(String alias) {
      return chain;
    }

    public PrivateKey getPrivateKey(String alias) {
      return key;
    }

    public String[] getClientAliases(String type, Principal[] issuers) {
      return chain == null ? null : new String[] {"client"};
    }

    public String[] getServerAliases(String type, Principal[] issuers) {
      return null;
    }

    public String chooseServerAlias(String type, Principal[] issuers, Socket s) {
      return null;
    }
  }

  /** PKIX with endpoint identification, recording that the server's chain was checked. */
  static class Recording extends X509ExtendedTrustManager {
    public void checkServerTrusted(X509Certificate[] c, String a, Socket s)
        throws CertificateException {
      serverChecked = true;
      pkix.checkServerTrusted(c, a, s);
    }

    public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e)
        throws CertificateException {
      serverChecked = true;
      pkix.checkServerTrusted(c, a, e);
    }

    public void checkServerTrusted(X509Certificate[] c, String a) throws CertificateException {
      serverChecked = true;
      pkix.checkServerTrusted(c, a);
    }

    public void checkClientTrusted(X509Certificate[] c, String a, Socket s)
        throws CertificateException {
      throw new CertificateException("a client does not check clients");
    }

    public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e)
        throws CertificateException {
      throw new CertificateException("a client does not check clients");
    }

    public void checkClientTrusted(X509Certificate[] c, String a) throws CertificateException {
      throw new CertificateException("a client does not check clients");
    }

    public X509Certificate[] getAcceptedIssuers() {
      return pkix.getAcceptedIssuers();
    }
  }

  /**
   * A socket that sends a flight in one piece, as OpenSSL, Go and rustls clients do: what JSSE
   * writes is held until it next reads (or closes). JSSE flushes each handshake message on its
   * own, so a server that refuses the Certificate and closes at once (Go's) resets the
   * CertificateVerify and Finished that follow, and a stock JSSE client reports "Broken pipe"
   * instead of the alert the server sent.
   */
  static class FlightSocket extends Socket {
    private final java.io.ByteArrayOutputStream held = new java.io.ByteArrayOutputStream();
    private OutputStream out;
    private InputStream in;

    synchronized void send() throws java.io.IOException {
      if (held.size() > 0) {
        OutputStream raw = super.getOutputStream();
        held.writeTo(raw);
        held.reset();
        raw.flush();
      }
    }

    @Override
    public synchronized OutputStream getOutputStream() throws java.io.IOException {
      if (out == null) {
        out = new OutputStream() {
          @Override
          public void write(int b) {
            synchronized (FlightSocket.this) {
              held.write(b);
            }
          }

          @Override
          public void write(byte[] b, int off, int len) {
            synchronized (FlightSocket.this) {
              held.write(b, off, len);
            }
          }
        };
      }
      return out;
    }

    @Override
    public synchronized InputStream getInputStream() throws java.io.IOException {
      if (in == null) {
        in = new java.io.FilterInputStream(super.getInputStream()) {
          @Override
          public int read() throws java.io.IOException {
            send();
            return super.read();
          }

          @Override
          public int read(byte[] b, int off, int len) throws java.io.IOException {
            send();
            return super.read(b, off, len);
          }
        };
      }
      return in;
    }

    @Override
    public synchronized void close() throws java.io.IOException {
      try {
        send();
      } catch (java.io.IOException e) {
        // closing anyway
      }
      super.close();
    }
  }

  static SSLContext context() throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(new OneCredential[] {new OneCredential()}, new TrustManager[] {new Recording()},
        null);
    return ctx;
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }

  /** One request; the JSON line that says how it went. */
  static String attempt(SSLContext ctx, boolean offered) {
    int timeout = Integer.parseInt(o.getOrDefault("timeoutMs", "5000"));
    int port = Integer.parseInt(o.get("port"));
    serverChecked = false;
    String stage = "connect";
    String version = null;
    String suite = null;
    boolean resumed = false;
    try (Socket raw = new FlightSocket()) {
      // As Go and OpenSSL clients do: without it, Nagle holds the client's second flight
      // back for the server's delayed ACK (40 ms).
      raw.setTcpNoDelay(true);
      raw.connect(new InetSocketAddress(o.getOrDefault("host", "127.0.0.1"), port), timeout);
      raw.setSoTimeout(timeout);
      stage = "handshake";
      String name = o.getOrDefault("name", "localhost");
      SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, name, port, true);
      SSLParameters p = s.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS");
      p.setProtocols(o.getOrDefault("protocols", "TLSv1.3").split(","));
      String suites = o.getOrDefault("suites", "");
      if (!suites.isEmpty()) p.setCipherSuites(suites.split(","));
      s.setSSLParameters(p);
      s.startHandshake();
      SSLSession session = s.getSession();
      version = session.getProtocol();
      suite = session.getCipherSuite();
      resumed = !serverChecked;
      stage = "request";
      OutputStream out = s.getOutputStream();
      out.write(("GET / HTTP/1.1\r\nHost: " + name + "\r\nUser-Agent: mtls-harness-java\r\n"
          + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      stage = "reply";
      InputStream in = s.getInputStream();
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.ISO_8859_1));
      String status = r.readLine();
      if (status == null) throw new java.io.EOFException("closed before the reply");
      // Reading to the end lets TLS 1.3 tickets sent after the reply reach the session cache.
      char[] buf = new char[4096];
      long total = 0;
      int n;
      while (total < (1 << 20) && (n = r.read(buf)) >= 0) total += n;
      String[] parts = status.split(" ");
      int code = parts.length > 1 && parts[0].startsWith("HTTP/") ? Integer.parseInt(parts[1]) : 0;
      return "{\"status\":" + code + ",\"version\":" + quote(version) + ",\"suite\":"
          + quote(suite) + ",\"resumed\":" + resumed + ",\"offered\":" + offered + "}";
    } catch (Exception e) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) root = root.getCause();
      return "{\"stage\":" + quote(stage) + ",\"error\":" + quote(e.toString()) + ",\"cause\":"
          + quote(root.toString()) + ",\"timedOut\":" + (e instanceof SocketTimeoutException)
          + ",\"offered\":" + offered + "}";
    }
  }

  public static void main(String[] args) throws Exception {
    for (String a : args) {
      int eq = a.indexOf('=');
      if (eq > 0) o.put(a.substring(0, eq), a.substring(eq + 1));
    }
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    KeyStore anchors = KeyStore.getInstance("PKCS12");
    anchors.load(null, null);
    int i = 0;
    for (Certificate c : cf.generateCertificates(
        new ByteArrayInputStream(Files.readAllBytes(Path.of(o.get("ca")))))) {
      anchors.setCertificateEntry("ca" + i++, c);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(anchors);
    pkix = (X509ExtendedTrustManager) tmf.getTrustManagers()[0];
    String cert = o.getOrDefault("cert", "");
    if (!cert.isEmpty()) {
      List<X509Certificate> certs = new ArrayList<>();
      for (Certificate c : cf.generateCertificates(
          new ByteArrayInputStream(Files.readAllBytes(Path.of(cert))))) {
        certs.add((X509Certificate) c);
      }
      chain = certs.toArray(new X509Certificate[0]);
      key = key(Files.readString(Path.of(o.get("key"))));
    }
    boolean resumption = o.getOrDefault("resumption", "false").equals("true");
    SSLContext ctx = context();
    boolean stored = false;
    System.out.println("ready");
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      boolean resume = resumption && line.equals("resume") && stored;
      if (!resume) ctx = context();
      String result = attempt(ctx, resume);
      stored = resumption && ctx.getClientSessionContext().getIds().hasMoreElements();
      System.out.println(result);
      System.out.flush();
    }
  }
}
