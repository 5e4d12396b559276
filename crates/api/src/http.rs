//! The HTTP layer between a connection and the handlers: [`connection`] watches each
//! connection's request heads arrive in time, [`request_id`] names each request,
//! [`authorized`] checks its key,
//! [`access_log`] logs and counts it, [`refusals`] turns away what no handler should see,
//! [`payload`] reads (and decodes) a body within the memory it may take, [`commit_token`]
//! keeps read-your-writes when reads go to a standby. HTTP framing is actix's alone: nothing here reads or rewrites the byte stream.

pub mod access_log;
pub mod authorized;
pub mod commit_token;
pub mod connection;
pub mod payload;
pub mod refusals;
pub mod request_id;
