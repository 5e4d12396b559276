//! The HTTP layer between a connection and the handlers: [`connection`] watches each
//! connection's request heads arrive in time, [`refusals`] turns away what no handler should
//! see, [`payload`] reads (and decodes) a body within the memory it may take. HTTP framing is actix's alone: nothing here reads or rewrites the byte stream.

pub mod connection;
pub mod payload;
pub mod refusals;
