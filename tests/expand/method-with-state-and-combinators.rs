// A service method: the signature stays, a denial becomes `Err(E::from(..))`.
// The policy state is a field of `self`; `any`/`not` become labeled blocks.
impl Orders {
    #[requires(any(role("admin"), not(check(policies::suspended))), Approve(invoice), state = self.limits)]
    fn approve(&self, _user: &Authenticated<User>, invoice: Invoice) -> Result<(), Error> {
        self.db.approve(&invoice)
    }
}
