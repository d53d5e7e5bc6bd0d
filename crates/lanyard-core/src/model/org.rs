use crate::clock::Timestamp;

/// The organisation: one per Lanyard deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub created: Timestamp,
}
