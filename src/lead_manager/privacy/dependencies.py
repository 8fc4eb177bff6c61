from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from lead_manager.container import ServicesDep
from lead_manager.privacy.service import Eraser


async def get_eraser(services: ServicesDep) -> Eraser:
    return Eraser(services.storage, services.signing_key, services.settings.mail_dir)


EraserDep = Annotated[Eraser, Depends(get_eraser)]
