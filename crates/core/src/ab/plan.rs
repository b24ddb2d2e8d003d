//! The rounds of an A/B comparison as cases of one run: the chosen case once per side per
//! round, short, in the order A B, B A, A B, ... Side by side (the default; see
//! `runner::run_pair`) each round's two cases run at once and the order says which server
//! starts and which load is set up first; one after the other (`--alternate`) it says which
//! side runs first. Either way each side goes first as often as the other, so neither a
//! warming or cooling machine nor going first favours one.

use std::time::Duration;

use super::spec::ServerSpec;
use crate::scenario::{Case, Stop, Thresholds};

/// How the rounds run.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Rounds (each runs A and B once).
    pub rounds: usize,
    /// Measured time of each side in a round.
    pub round: Duration,
    /// Warm-up of each side in a round (the servers start anew each round).
    pub warmup: Duration,
}

/// Which side a round case measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoundRole {
    /// The baseline.
    A,
    /// The candidate.
    B,
}

/// The name of round `i`'s (0-based) case of `role`: `r01-a`.
pub fn round_name(i: usize, role: RoundRole) -> String {
    let side = match role {
        RoundRole::A => "a",
        RoundRole::B => "b",
    };
    format!("r{:02}-{side}", i + 1)
}

/// Every round's two cases, in run order.
pub fn round_cases(case: &Case, a: &ServerSpec, b: &ServerSpec, plan: &Plan) -> Vec<Case> {
    let mut out = Vec::with_capacity(plan.rounds * 2);
    for i in 0..plan.rounds {
        let order = if i % 2 == 0 {
            [(RoundRole::A, a), (RoundRole::B, b)]
        } else {
            [(RoundRole::B, b), (RoundRole::A, a)]
        };
        for (role, spec) in order {
            let mut c = spec.apply(case);
            c.name = round_name(i, role);
            c.description = format!("{} ({}), round {}", case.name, spec.text, i + 1);
            c.load.stop = Stop::Duration(plan.round);
            c.load.warmup = plan.warmup;
            c.thresholds = Thresholds::default();
            c.axes = Vec::new();
            out.push(c);
        }
    }
    out
}
