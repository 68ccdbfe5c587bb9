//! The localhost credentials-URI endpoint (design §5).
