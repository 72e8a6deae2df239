-- Stream entries as XRANGE returns them, shared by the scripts that read
-- pending messages back from their stream.

-- Return the message payload of an entry's field list: the value of its
-- 'm' field, or '' when the entry has none.
local function payload_of(entry_fields)
  for i = 1, #entry_fields, 2 do
    if entry_fields[i] == 'm' then
      return entry_fields[i + 1]
    end
  end
  return ''
end
