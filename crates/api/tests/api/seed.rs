//! The examples of the API page (`shared/seed/customers-post.mdx`), exactly as it shows them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::on_both_backends;

fn seed_customer() -> Value {
    json!({
        "code": "D314K1432",
        "country": "ES",
        "state": "Barcelona",
        "city": "Q11355",
        "yearBorn": 1990,
        "gender": 2,
        "metadata": {
            "currentDiscountRate": "10%",
            "isNew": true
        }
    })
}

on_both_backends! {
    /// The single-object example creates the customer with every field as sent.
    fn single_example_creates_the_customer(app: &TestApp) {
        let (status, body) = app.post(&seed_customer());
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["code"], "D314K1432");
        assert_eq!(body["result"], "created");
        let customer = &body["customer"];
        for field in ["code", "country", "state", "city", "yearBorn", "gender", "metadata"] {
            assert_eq!(customer[field], seed_customer()[field], "{field}");
        }
        assert_eq!(customer["isActive"], true, "isActive defaults to true");
        assert_eq!(customer["version"], 1);
        assert_eq!(customer["location"]["country"]["code"], "ES");
        assert_eq!(customer["location"]["country"]["alpha3"], "ESP");
        assert_eq!(customer["location"]["state"]["code"], "ES-B");

        let stored = app.customer("D314K1432").expect("readable as soon as the POST answered");
        assert_eq!(&stored, customer);
    }
}

on_both_backends! {
    /// The array example creates both customers; the second has only a code.
    fn array_example_creates_both_customers(app: &TestApp) {
        let (status, body) = app.post(&json!([seed_customer(), {"code" : "N4213S4123"}]));
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["created"], 2);
        assert_eq!(body["failed"], 0);
        assert_eq!(body["results"][0]["code"], "D314K1432");
        assert_eq!(body["results"][1]["result"], "created");
        let bare = app.customer("N4213S4123").expect("created");
        assert_eq!(bare["isActive"], true);
        assert_eq!(bare["country"], Value::Null);
        assert_eq!(bare["metadata"], Value::Null);
        assert_eq!(bare["location"]["status"], "empty");
        assert_eq!(app.customer("D314K1432").expect("created")["yearBorn"], 1990);
    }
}
