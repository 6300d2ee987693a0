// A principal cannot be deserialized from request data (`"role": "admin"`).
use auth_core::Authenticated;
use auth_tests::User;

fn forge(body: &str) -> Authenticated<User> {
    serde_json::from_str::<Authenticated<User>>(body).unwrap()
}

fn main() {}
