Write-Output "hello from a verified tool 1.0.0"
