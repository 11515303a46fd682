//! The domain core: numbers, templates, SMS segments, readiness, and the send engine.

pub mod batch;
pub mod claims;
pub mod contact;
pub mod cooldown;
pub mod engine;
pub mod events;
pub mod export;
pub mod follow;
pub mod import;
pub mod journal;
pub mod link;
pub mod lookups;
pub mod phone;
pub mod quiet_hours;
pub mod readiness;
pub mod seen_on_platform;
pub mod segments;
pub mod sender_id;
pub mod target;
pub mod template;
pub mod ticket;
pub mod verdict;
pub mod watching;
pub mod wire;
