//! Tests of the form: editing keys, local checks and the merge patch it sends.
