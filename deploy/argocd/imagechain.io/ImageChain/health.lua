-- Argo CD health of an imagechain.io/ImageChain (argocd-cm key
-- resource.customizations.health.imagechain.io_ImageChain). Written for Lua 5.1 (gopher-lua).
--
-- An ImageChain is a batch: it is Progressing while it runs, Healthy once every output is written,
-- Degraded when it failed (the Failed condition names the field, tile or URI), Suspended while
-- spec.suspend holds it. Until the operator has observed the current generation, nothing in the
-- status speaks for the current spec: Progressing.
local hs = {}

local function condition(status, kind)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local function holds(c)
  return c ~= nil and c.status == "True"
end

local function progress(status)
  if status.progress ~= nil then
    return status.progress .. " tiles done"
  end
  return ""
end

local status = obj.status
local generation = obj.metadata.generation
if status == nil or status.observedGeneration == nil
    or (generation ~= nil and status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe the chain"
  return hs
end

local failed = condition(status, "Failed")
local stalled = condition(status, "Stalled")
local complete = condition(status, "Complete")
local suspended = condition(status, "Suspended")
local reconciling = condition(status, "Reconciling")

if holds(failed) or status.phase == "Failed" then
  hs.status = "Degraded"
  hs.message = (failed ~= nil and failed.message) or "Failed"
elseif holds(stalled) then
  hs.status = "Degraded"
  hs.message = stalled.message
elseif holds(complete) or status.phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = "Succeeded: " .. progress(status)
elseif holds(suspended) or status.phase == "Suspended" then
  hs.status = "Suspended"
  hs.message = (suspended ~= nil and suspended.message) or "spec.suspend is true"
elseif holds(reconciling) then
  hs.status = "Progressing"
  hs.message = reconciling.message
else
  hs.status = "Progressing"
  hs.message = (status.phase or "Pending") .. ": " .. progress(status)
end
return hs
