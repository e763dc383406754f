//! Signals: the guest's dispositions, masks and alternate stack are virtual; rumplx owns the host's.

use crate::table::Entry;

/// The guest's signal dispositions (Linux numbering), shared by all its threads.
#[derive(Debug, Default)]
pub struct SignalState {}

pub const ENTRIES: &[Entry] = &[];
