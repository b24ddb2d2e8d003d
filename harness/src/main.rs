//! `mtls-harness`: a thin shell around the library's command line.

fn main() -> std::process::ExitCode {
    mtls_harness::cli::main()
}
