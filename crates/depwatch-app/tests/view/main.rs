//! The desktop's view models over a seeded installation: real advisories (the RustSec OSV
//! export fixture), real lockfiles parsed and matched by the pipeline's own steps, snapshots and
//! findings stored through `store_snapshot`, state changes through the lifecycle API.

mod contract;
mod golden;
mod lifecycle;
mod scenario;
