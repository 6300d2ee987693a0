//! Example services.
