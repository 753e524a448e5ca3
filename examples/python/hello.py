import asyncio
from family_assistant import Assistant, Role, Store

async def main() -> None:
    store = await Store.open("sqlite:hello.db")
    home = await store.create_household("Home")
    ana = await store.add_member(home, "Ana", Role.OWNER, timezone="Europe/Berlin")
    reply = await Assistant(store).ask(ana, "/remind me tomorrow at 9 to call grandma")
    print(reply.text)

asyncio.run(main())
