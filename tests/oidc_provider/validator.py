from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    """Claims as Entra ID, Google or Keycloak send them: email, whether the provider verified it, a name.
    A person in the group "unverified" has an email the provider has not verified."""

    oidc_claim_scope = None  # every claim, whatever the scopes

    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            "email_verified": not user.groups.filter(name="unverified").exists(),
            "name": user.get_full_name(),
            "preferred_username": user.username,
        }

    def get_id_token_dictionary(self, token, token_handler, request):
        # A person in the group "replayed" gets an ID token carrying another sign-in's nonce, as a replayed
        # or swapped token would: the relying party must refuse it.
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        if request.user.groups.filter(name="replayed").exists():
            claims["nonce"] = "the-nonce-of-another-sign-in"
        return claims, expiration_time
