//! The domain core: numbers, templates, SMS segments, readiness, and the send engine.

pub mod import;
pub mod phone;
pub mod readiness;
pub mod segments;
pub mod sender_id;
pub mod template;
