//! Rendered reports of a small real run: every plot exists as a non-empty PNG (really drawn:
//! many non-white pixels) and SVG, `report.md` and the self-contained `report.html` carry the
//! cases, and `mtls-harness report RUN_DIR` re-renders them (exit 2 for a directory that is not
//! a run).

use std::process::Command;

use super::support::{harness_exe, run_in, scenario};

fn non_white_pixels(png_bytes: &[u8]) -> (u32, u32, usize) {
    let decoder = png::Decoder::new(png_bytes);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let pixels = buf[..info.buffer_size()]
        .chunks(3)
        .filter(|p| p.iter().any(|&c| c < 200))
        .count();
    (info.width, info.height, pixels)
}

#[test]
fn a_small_run_renders_plots_markdown_and_html() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
name = "plots"
[pki]
identities = 5
[defaults]
load = { concurrency = 4, duration = "1200ms", warmup = "200ms" }
[[case]]
name = "valid"
[[case]]
name = "valid-open"
load = { rate = 100, duration = "1200ms" }
[[case]]
name = "unknown-ca"
client_cert = "unknown-ca"
load = { concurrency = 2, handshakes = 20, warmup = "0s" }
"#,
    );
    let outcome = run_in(&s, dir.path());
    // A reject case's interval log holds the times to the rejection.
    let rejected = &outcome.summary.cases[2];
    let log = mtls_harness::report::read_hlog(
        &dir.path()
            .join(rejected.hlog_file.as_deref().expect("reject case hlog")),
    )
    .unwrap();
    assert_eq!(log.total().len(), 20);
    let files = mtls_harness::report::render_run(dir.path()).unwrap();
    for stem in [
        "latency",
        "throughput-over-time",
        "throughput",
        "p99",
        "cpu",
    ] {
        let png = std::fs::read(dir.path().join(format!("plots/{stem}.png"))).unwrap();
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{stem}.png is not a PNG"
        );
        let (w, h, drawn) = non_white_pixels(&png);
        assert_eq!((w, h), (960, 540));
        // Axes, text and at least one line or bar: thousands of pixels, not a blank canvas.
        assert!(drawn > 3000, "{stem}.png has only {drawn} drawn pixels");
        let svg = std::fs::read_to_string(dir.path().join(format!("plots/{stem}.svg"))).unwrap();
        assert!(svg.contains("<svg"), "{stem}.svg");
        assert!(files.contains(&format!("plots/{stem}.png")));
    }
    // The latency curve names each case with accepted handshakes, not the rejected one.
    let latency_svg = std::fs::read_to_string(dir.path().join("plots/latency.svg")).unwrap();
    assert!(latency_svg.contains("valid-open"));
    assert!(!latency_svg.contains("unknown-ca"));

    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(md.contains("| valid |"), "{md}");
    assert!(md.contains("| unknown-ca | unknown_ca=20 |"), "{md}");
    assert!(md.contains("(plots/latency.png)"), "{md}");

    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<svg").count(), 5, "plots are inlined");
    assert!(!html.contains("{{"), "a template placeholder is left");
    // Self-contained: nothing is fetched (the SVG namespace URI is a name, not a fetch).
    for fetch in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!html.contains(fetch), "report.html fetches {fetch}");
    }

    // Re-rendering from the saved data gives the same page.
    std::fs::remove_file(dir.path().join("report.html")).unwrap();
    std::fs::remove_dir_all(dir.path().join("plots")).unwrap();
    let out = Command::new(harness_exe())
        .arg("report")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let again = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert_eq!(again, html);
    assert!(dir.path().join("plots/cpu.png").exists());

    let not_a_run = tempfile::tempdir().unwrap();
    let out = Command::new(harness_exe())
        .arg("report")
        .arg(not_a_run.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("summary.json"));
}
