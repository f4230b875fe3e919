package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/gophercloud/gophercloud"
	"github.com/gophercloud/gophercloud/openstack"
	"github.com/gophercloud/gophercloud/openstack/identity/v3/tokens"
)

// authOptionsFromEnv maps the OS_* variables onto gophercloud.AuthOptions the way Terraform's
// OpenStack provider maps its settings (auth_url, user_name/user_id, password, token,
// application_credential_id/_name/_secret, user_domain_name/_id, tenant_name/_id).
// Unlike openstack.AuthOptionsFromEnv it accepts a token or an application credential alone.
func authOptionsFromEnv() (gophercloud.AuthOptions, error) {
	env := os.Getenv
	ao := gophercloud.AuthOptions{
		IdentityEndpoint:            env("OS_AUTH_URL"),
		Username:                    env("OS_USERNAME"),
		UserID:                      env("OS_USER_ID"),
		Password:                    env("OS_PASSWORD"),
		TokenID:                     env("OS_TOKEN"),
		ApplicationCredentialID:     env("OS_APPLICATION_CREDENTIAL_ID"),
		ApplicationCredentialName:   env("OS_APPLICATION_CREDENTIAL_NAME"),
		ApplicationCredentialSecret: env("OS_APPLICATION_CREDENTIAL_SECRET"),
		DomainName:                  firstOf(env("OS_USER_DOMAIN_NAME"), env("OS_DOMAIN_NAME")),
		DomainID:                    firstOf(env("OS_USER_DOMAIN_ID"), env("OS_DOMAIN_ID")),
		TenantName:                  firstOf(env("OS_PROJECT_NAME"), env("OS_TENANT_NAME")),
		TenantID:                    firstOf(env("OS_PROJECT_ID"), env("OS_TENANT_ID")),
	}
	if ao.IdentityEndpoint == "" {
		return ao, usageError{"OS_AUTH_URL is not set"}
	}
	// A token plus a project asks for a scoped token (POST with the token method); gophercloud
	// reads that from Scope only: with TenantName alone it passes the bare token through.
	if ao.TokenID != "" && (ao.TenantID != "" || ao.TenantName != "") {
		ao.Scope = &gophercloud.AuthScope{
			ProjectID: ao.TenantID, ProjectName: ao.TenantName,
			DomainName: firstOf(env("OS_PROJECT_DOMAIN_NAME"), ao.DomainName),
			DomainID:   firstOf(env("OS_PROJECT_DOMAIN_ID"), ao.DomainID),
		}
	}
	// Terraform re-authenticates on 401 unless told not to; gophercloud refuses that for a bare
	// token (it cannot log in again with it), so only the other methods get it.
	ao.AllowReauth = ao.TokenID == ""
	return ao, nil
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// endpointOpts is the catalog filter every service client uses: OS_REGION_NAME (empty: any
// region) and OS_INTERFACE (public, internal or admin; Terraform's endpoint_type).
func endpointOpts() gophercloud.EndpointOpts {
	return gophercloud.EndpointOpts{
		Region:       os.Getenv("OS_REGION_NAME"),
		Availability: gophercloud.Availability(firstOf(os.Getenv("OS_INTERFACE"), "public")),
	}
}

// provider logs in with openstack.AuthenticatedClient: discovery at the unversioned auth URL
// (unless it ends in /v3), then POST /v3/auth/tokens, or for a bare token GET /v3/auth/tokens.
func provider() (*gophercloud.ProviderClient, error) {
	ao, err := authOptionsFromEnv()
	if err != nil {
		return nil, err
	}
	return openstack.AuthenticatedClient(ao)
}

// authResult is what gophercloud kept of the token reply: a CreateResult after a POST, a
// GetResult after a bare-token GET. Both extract the same way.
type authResult interface {
	ExtractToken() (*tokens.Token, error)
	ExtractUser() (*tokens.User, error)
	ExtractProject() (*tokens.Project, error)
	ExtractRoles() ([]tokens.Role, error)
	ExtractServiceCatalog() (*tokens.ServiceCatalog, error)
}

func cmdAuth(args []string) (interface{}, error) {
	fs := flag.NewFlagSet("auth", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return nil, usageError{err.Error()}
	}
	p, err := provider()
	if err != nil {
		return nil, err
	}
	var r authResult
	switch v := p.GetAuthResult().(type) {
	case tokens.CreateResult:
		r = v
	case tokens.GetResult:
		r = v
	default:
		return nil, fmt.Errorf("unexpected auth result %T (Keystone v2.0 chosen?)", v)
	}
	tok, err := r.ExtractToken()
	if err != nil {
		return nil, err
	}
	user, err := r.ExtractUser()
	if err != nil {
		return nil, err
	}
	project, err := r.ExtractProject()
	if err != nil {
		return nil, err
	}
	roles, err := r.ExtractRoles()
	if err != nil {
		return nil, err
	}
	catalog, err := r.ExtractServiceCatalog()
	if err != nil {
		return nil, err
	}
	out := map[string]interface{}{
		"kind":       fmt.Sprintf("%T", p.GetAuthResult()),
		"token":      p.Token(),
		"expires_at": tok.ExpiresAt,
		"user":       user,
		"project":    project,
		"roles":      roles,
		"catalog":    catalog.Entries,
		"endpoints":  serviceEndpoints(p),
	}
	return out, nil
}

// serviceEndpoints: for each service, the endpoint gophercloud's own constructors locate and
// the base they build resource URLs on (the image client appends "v2/" itself), or the error.
func serviceEndpoints(p *gophercloud.ProviderClient) map[string]interface{} {
	eo := endpointOpts()
	constructors := map[string]func(*gophercloud.ProviderClient, gophercloud.EndpointOpts) (*gophercloud.ServiceClient, error){
		"identity":     openstack.NewIdentityV3,
		"image":        openstack.NewImageServiceV2,
		"object-store": openstack.NewObjectStorageV1,
	}
	out := map[string]interface{}{}
	for name, newClient := range constructors {
		sc, err := newClient(p, eo)
		if err != nil {
			out[name] = map[string]interface{}{"error": describeError(err)}
			continue
		}
		out[name] = map[string]interface{}{"endpoint": sc.Endpoint, "resource_base": sc.ResourceBaseURL()}
	}
	return out
}
