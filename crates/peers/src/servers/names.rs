//! Scenario enums in the settings file by their names (they serialize as their names; these
//! read them back through their `FromStr`, with its message on a bad one).

use std::fmt::Display;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// A scenario enum from its name (they serialize as their names).
pub(super) fn named<'de, D: Deserializer<'de>, T: FromStr>(d: D) -> Result<T, D::Error>
where
    T::Err: Display,
{
    String::deserialize(d)?
        .parse()
        .map_err(serde::de::Error::custom)
}

/// A list of scenario enums from their names.
pub(super) fn named_list<'de, D: Deserializer<'de>, T: FromStr>(d: D) -> Result<Vec<T>, D::Error>
where
    T::Err: Display,
{
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| s.parse().map_err(serde::de::Error::custom))
        .collect()
}
