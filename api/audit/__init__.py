"""The audit log area: `auditLog`, readable by owners only."""
