package server

import (
	"cmp"
	"net/http"
	"strconv"

	"github.com/redline-sec/redline/internal/store"
)

// userRoutes are the admin endpoints over people and their roles.
func (s *Server) userRoutes() []route {
	return []route{
		{"GET", "/api/v1/users", store.ScopeAdmin, s.users},
		{"POST", "/api/v1/users/roles", store.ScopeAdmin, s.grantRole},
		{"DELETE", "/api/v1/users/roles", store.ScopeAdmin, s.revokeRole},
		{"POST", "/api/v1/users/{id}/disabled", store.ScopeAdmin, s.disableUser},
	}
}

func (s *Server) users(w http.ResponseWriter, r *http.Request, _ *call) error {
	us, err := s.store.Users(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": us})
	return nil
}

// RoleRequest is the body of POST /api/v1/users/roles (and the query of
// DELETE /api/v1/users/roles).
type RoleRequest struct {
	Email string `json:"email"`
	Role  string `json:"role"`
	// Product is the product the role holds on; "*" (the default) for all.
	Product string `json:"product,omitempty"`
}

// RoleResponse is the user after a role change, and whether it changed.
type RoleResponse struct {
	User    store.User `json:"user"`
	Changed bool       `json:"changed"`
}

func (s *Server) changeRole(w http.ResponseWriter, r *http.Request, c *call, req RoleRequest, grant bool) error {
	role, err := store.ParseRole(req.Role)
	if err != nil {
		return err
	}
	if err := checkName("product", req.Product, 256); err != nil {
		return err
	}
	g := store.Grant{Email: req.Email, Product: cmp.Or(req.Product, store.AllProducts), Role: role, By: c.actor()}
	var res RoleResponse
	verb := "grant "
	if grant {
		res.User, res.Changed, err = s.store.GrantRole(r.Context(), g)
	} else {
		verb = "revoke "
		res.User, res.Changed, err = s.store.RevokeRole(r.Context(), g)
	}
	if err != nil {
		return err
	}
	c.object = userObject(res.User.ID)
	c.detail = verb + string(role) + "@" + g.Product + " " + res.User.Email
	if !res.Changed {
		c.detail += " (unchanged)"
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) grantRole(w http.ResponseWriter, r *http.Request, c *call) error {
	var req RoleRequest
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	return s.changeRole(w, r, c, req, true)
}

func (s *Server) revokeRole(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	return s.changeRole(w, r, c, RoleRequest{Email: q.Get("email"), Role: q.Get("role"), Product: q.Get("product")}, false)
}

// DisableRequest is the body of POST /api/v1/users/{id}/disabled.
type DisableRequest struct {
	Disabled bool `json:"disabled"`
}

func (s *Server) disableUser(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c.object = userObject(id)
	var req DisableRequest
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if req.Disabled && c.principal.UserID == id {
		return errorf(http.StatusBadRequest, "you cannot disable yourself")
	}
	if err := s.store.SetUserDisabled(r.Context(), id, req.Disabled); err != nil {
		return err
	}
	c.detail = "disabled " + strconv.FormatBool(req.Disabled)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
