use serde::{Deserialize, Serialize};

/// Whether depwatch currently takes in pushes and polls for missed ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Monitoring {
    Active,
    Paused,
}

impl Monitoring {
    /// The other state, for a Pause/Resume toggle.
    pub fn toggled(self) -> Monitoring {
        match self {
            Monitoring::Active => Monitoring::Paused,
            Monitoring::Paused => Monitoring::Active,
        }
    }
}
