//! CPU lists on the command line (`--pin-server 0`, `--pin-client 1-3`): parsed and checked
//! against the CPUs this process may run on before anything is spawned.

/// A list of CPU numbers (a newtype, so clap takes it as one value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuList(pub Vec<usize>);

/// Parses `0`, `0,2`, `0-3`. Every CPU must be one this process may run on (its affinity, as
/// `taskset` or a cgroup set it): the list is checked here, before any process is spawned, and
/// a range is checked at its ends before it is expanded (so `0-1000000000` allocates nothing).
pub fn parse_cpus(s: &str) -> Result<CpuList, String> {
    let usable = crate::sys::current_affinity()
        .ok()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| (0..crate::sys::usable_cpus()).collect());
    parse_cpus_within(s, &usable)
}

/// [`parse_cpus`] against the CPUs in `usable` (sorted).
fn parse_cpus_within(s: &str, usable: &[usize]) -> Result<CpuList, String> {
    let bad = || format!("expected CPU numbers like 0, 0-1 or 0,2; found \"{s}\"");
    let not_usable = |cpu: &str| {
        format!(
            "CPU {cpu} is not one this process may use (usable CPUs: {}); found \"{s}\"",
            cpu_ranges(usable)
        )
    };
    let check = |text: &str| -> Result<usize, String> {
        let text = text.trim();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        match text.parse::<usize>() {
            Ok(cpu) if usable.binary_search(&cpu).is_ok() => Ok(cpu),
            _ => Err(not_usable(text)),
        }
    };
    let mut cpus: Vec<usize> = Vec::new();
    for part in s.split(',') {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (check(a)?, check(b)?),
            None => {
                let c = check(part)?;
                (c, c)
            }
        };
        if a > b {
            return Err(bad());
        }
        // Both ends are usable CPUs, so the range has at most CPU_SETSIZE numbers.
        for cpu in a..=b {
            if usable.binary_search(&cpu).is_err() {
                return Err(not_usable(&cpu.to_string()));
            }
            if !cpus.contains(&cpu) {
                cpus.push(cpu);
            }
        }
    }
    Ok(CpuList(cpus))
}

/// `0-3,6` for [0, 1, 2, 3, 6].
fn cpu_ranges(cpus: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < cpus.len() {
        let start = cpus[i];
        let mut end = start;
        while i + 1 < cpus.len() && cpus[i + 1] == end + 1 {
            i += 1;
            end = cpus[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    out.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_are_checked_against_the_usable_cpus_before_expanding() {
        let usable = [0, 1, 2, 3, 6];
        assert_eq!(
            parse_cpus_within("0-2,6,1", &usable),
            Ok(CpuList(vec![0, 1, 2, 6]))
        );
        let e = parse_cpus_within("0-1000000000", &usable).unwrap_err();
        assert!(e.contains("CPU 1000000000 is not one"), "{e}");
        assert!(e.contains("usable CPUs: 0-3,6"), "{e}");
        let e = parse_cpus_within("5000", &usable).unwrap_err();
        assert!(e.contains("CPU 5000"), "{e}");
        let e = parse_cpus_within("2-6", &usable).unwrap_err();
        assert!(e.contains("CPU 4 is not one"), "{e}");
        let e = parse_cpus_within("99999999999999999999999", &usable).unwrap_err();
        assert!(e.contains("is not one"), "{e}");
        for garbage in ["", "a", "1-", "-1", "3-1", "1,,2", "+1"] {
            let e = parse_cpus_within(garbage, &usable).unwrap_err();
            assert!(e.contains("expected CPU numbers"), "{garbage}: {e}");
        }
    }
}
