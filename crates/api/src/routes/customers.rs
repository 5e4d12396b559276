//! The `/customers` resource: create or update (`post`), read (`read`), erase (`delete`).

pub(crate) mod delete;
pub(crate) mod post;
pub(crate) mod read;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(post::post_customers)
        .service(read::list_customers)
        .service(read::get_customer)
        .service(delete::delete_customer);
}
