//! hostile tests.
