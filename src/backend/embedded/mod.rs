//! The embedded LogQL engine over local dataset files.
