//! Criterion benchmarks of location resolution: lookups by name, code and WikiData ID, and
//! loading the embedded gazetteer.

fn main() {}
